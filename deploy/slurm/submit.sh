#!/usr/bin/env bash
# Submits one flowpost run spread over a Slurm cluster as three dependent steps:
#   1. train  - one job fits the flow once (`flowpost sample --method neutra`, one chain);
#   2. shards - a job array, task k sampling chains k*M+1 .. (k+1)*M through that flow
#               (`flowpost sample --flow RUN/train/flow.json --chain-ids A..B`);
#   3. merge  - `flowpost merge` of the shards into RUN/merged, once every task has succeeded
#               (--dependency=afterok).
# With --method nuts there is no flow and no training step.
#
# Usage:
#   deploy/slurm/submit.sh [--shards K] [--chains-per-shard M] [--method neutra|nuts]
#       [--seed S] [--flowpost BIN] [--sbatch "OPTIONS"] RUN_DIR MODEL [SAMPLE OPTIONS...]
#
# RUN_DIR must be on a file system every node sees; it gets train/, shard-0/ .. shard-(K-1)/,
# merged/ and logs/. SAMPLE OPTIONS go to every `flowpost sample` (e.g. --draws 1000
# --tune 500, --data data.json, --dim 10); the shards share them, as merge requires.
# The merged draws equal, draw for draw, those of one `flowpost sample --chains K*M` run with
# the same flow and seed (docs/scale-out.md). Prints the job ids: `train=ID shards=ID merge=ID`.
set -euo pipefail

shards=4 per_shard=4 method=neutra seed=0 flowpost=flowpost sbatch_opts=""
while [ $# -gt 0 ]; do
  case "$1" in
    --shards) shards=$2; shift 2 ;;
    --chains-per-shard) per_shard=$2; shift 2 ;;
    --method) method=$2; shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    --flowpost) flowpost=$2; shift 2 ;;
    --sbatch) sbatch_opts=$2; shift 2 ;;
    -h|--help) sed -n '2,22p' "$0"; exit 0 ;;
    --) shift; break ;;
    -*) echo "submit.sh: unknown option $1 (see --help)" >&2; exit 1 ;;
    *) break ;;
  esac
done
if [ $# -lt 2 ]; then
  echo "usage: submit.sh [options] RUN_DIR MODEL [SAMPLE OPTIONS...] (see --help)" >&2
  exit 1
fi
run_dir=$1 model=$2; shift 2
case "$method" in neutra|nuts) ;; *)
  echo "submit.sh: --method must be neutra or nuts (auto decides from all chains' warmup; give it a flow and it samples as neutra)" >&2
  exit 1 ;;
esac
for n in "$shards" "$per_shard" "$seed"; do
  [[ "$n" =~ ^[0-9]+$ ]] || { echo "submit.sh: $n is not a whole number" >&2; exit 1; }
done
[ "$shards" -ge 1 ] && [ "$per_shard" -ge 1 ] || { echo "submit.sh: --shards and --chains-per-shard must be at least 1" >&2; exit 1; }
flowpost=$(command -v "$flowpost" || true)
[ -n "$flowpost" ] || { echo "submit.sh: no flowpost binary (give --flowpost PATH)" >&2; exit 1; }

here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$run_dir/logs"
run_dir=$(cd "$run_dir" && pwd)
# The sample options, one per line, for the batch scripts (arrays do not cross sbatch).
printf '%s\n' "$@" > "$run_dir/sample-args"
export FP_FLOWPOST=$flowpost FP_RUN_DIR=$run_dir FP_MODEL=$model FP_METHOD=$method \
  FP_SEED=$seed FP_SHARDS=$shards FP_CHAINS_PER_SHARD=$per_shard

submit() { sbatch --parsable --export=ALL $sbatch_opts "$@" | cut -d';' -f1; }
dependency=()
train=none
if [ "$method" = neutra ]; then
  train=$(submit --job-name=flowpost-train --output="$run_dir/logs/train.out" "$here/train.sbatch")
  dependency=(--dependency="afterok:$train")
fi
array=$(submit --job-name=flowpost-shards --array="0-$((shards - 1))" "${dependency[@]}" --kill-on-invalid-dep=yes \
  --output="$run_dir/logs/shard-%a.out" "$here/shard.sbatch")
merge=$(submit --job-name=flowpost-merge --dependency="afterok:$array" --kill-on-invalid-dep=yes \
  --output="$run_dir/logs/merge.out" "$here/merge.sbatch")
echo "train=$train shards=$array merge=$merge"

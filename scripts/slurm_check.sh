#!/usr/bin/env bash
# A real single-node Slurm test of deploy/slurm (issue 15): installs Debian's slurm-wlm and
# munge when missing (apt-get; needs root), writes a slurm.conf for this one host, starts
# munged, slurmctld and slurmd, submits deploy/slurm/submit.sh (train the flow once, a job
# array of 4 shards of 2 chains, a dependent merge), waits, and checks that the merged run
# equals the one-machine 8-chain run with the same flow and seed: every chain's draws byte for
# byte, summary.json's parameters and gradient counts exactly. Fails, never skips.
#
# Usage: scripts/slurm_check.sh   (FLOWPOST_BIN=path to use a built binary, default
# target/release/flowpost, built if missing; KEEP=1 keeps the scratch folder).
# The daemons it started are stopped at the end, by their process ids; a munged that was
# already running is left alone. Ports 16817/16818 (not Slurm's defaults).
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
say() { echo "[slurm_check $(( $(date +%s) - start ))s] $*"; }

bin=${FLOWPOST_BIN:-target/release/flowpost}
if [ ! -x "$bin" ]; then
  say "building flowpost"
  cargo build --release -p flowpost-cli
fi
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")

if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null \
  || ! command -v sbatch >/dev/null || ! command -v munged >/dev/null; then
  say "installing slurm-wlm and munge (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends slurm-wlm munge >/dev/null
fi
say "$(slurmctld -V)"

work=$(mktemp -d /tmp/flowpost-slurm.XXXXXX)
pids=()
cleanup() {
  local rc=$?
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do
    for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
  done
  if [ "$rc" -ne 0 ]; then
    for f in "$work"/slurmctld.log "$work"/slurmd.log "$work"/run/logs/*.out; do
      [ -f "$f" ] && { echo "--- $f (last 20 lines)"; tail -n 20 "$f"; }
    done
  fi
  if [ "${KEEP:-0}" = 1 ] || [ "$rc" -ne 0 ]; then
    echo "scratch folder kept: $work"
  else
    rm -rf "$work"
  fi
  exit "$rc"
}
trap cleanup EXIT

# munge: a key, and a daemon (run as the munge user, as Debian's service does).
if ! munge -n </dev/null >/dev/null 2>&1; then
  if [ ! -s /etc/munge/munge.key ]; then
    say "creating /etc/munge/munge.key"
    mungekey --create --keyfile /etc/munge/munge.key 2>/dev/null \
      || dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
    chown munge:munge /etc/munge/munge.key
    chmod 400 /etc/munge/munge.key
  fi
  mkdir -p /run/munge /var/log/munge /var/lib/munge
  chown munge:munge /run/munge /var/log/munge /var/lib/munge
  runuser -u munge -- munged
  for _ in $(seq 50); do [ -s /run/munge/munged.pid ] && break; sleep 0.1; done
  pids+=("$(cat /run/munge/munged.pid)")
  munge -n </dev/null | unmunge >/dev/null
  say "started munged"
fi

host=$(hostname -s)
mkdir -p "$work/state" "$work/spool"
cat > "$work/slurm.conf" <<EOF
ClusterName=flowpostcheck
SlurmctldHost=$host
SlurmctldPort=16817
SlurmdPort=16818
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool
SlurmctldPidFile=$work/slurmctld.pid
SlurmdPidFile=$work/slurmd.pid
SlurmctldLogFile=$work/slurmctld.log
SlurmdLogFile=$work/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerParameters=sched_interval=2
MpiDefault=none
ReturnToService=2
MinJobAge=3600
NodeName=$host CPUs=$(nproc) RealMemory=1000 State=UNKNOWN
PartitionName=check Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
export SLURM_CONF=$work/slurm.conf
slurmctld -D -i >"$work/slurmctld.out" 2>&1 &
pids+=($!)
slurmd -D >"$work/slurmd.out" 2>&1 &
pids+=($!)
state=""
for _ in $(seq 100); do
  state=$(sinfo -h -n "$host" -o %T 2>/dev/null || true)
  [ "$state" = idle ] && break
  sleep 0.2
done
[ "$state" = idle ] || { echo "slurm node $host is '$state', not idle" >&2; exit 1; }
say "slurmctld and slurmd up; node $host idle with $(nproc) CPUs"

run=$work/run
sample_args=(funnel --draws 200 --tune 200 --vi-steps 300)
ids=$(deploy/slurm/submit.sh --shards 4 --chains-per-shard 2 --method neutra --seed 7 \
  --flowpost "$bin" --sbatch "--cpus-per-task=1" "$run" "${sample_args[@]}")
say "submitted: $ids"
eval "$ids"
for _ in $(seq 600); do
  [ -z "$(squeue -h -j "$train,$shards,$merge" -o %i 2>/dev/null)" ] && break
  sleep 0.5
done
# One line per job (each array task on its own): name, id, array task, state.
states=$(for j in "$train" "$shards" "$merge"; do scontrol -o show job "$j"; done 2>/dev/null \
  | awk '{ for (i = 1; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
           task = ("ArrayTaskId" in f) ? " task " f["ArrayTaskId"] : ""
           print f["JobName"] " job " f["JobId"] task " " f["JobState"]; delete f }')
echo "$states" | sed 's/^/  /'
if echo "$states" | grep -qv ' COMPLETED$'; then
  echo "a job did not complete" >&2
  exit 1
fi
[ "$(echo "$states" | grep -c ' COMPLETED$')" -eq 6 ] \
  || { echo "expected 6 completed jobs (train, 4 shards, merge)" >&2; exit 1; }
say "all 6 jobs completed; merge log:"
sed 's/^/  | /' "$run/logs/merge.out" | grep -v '^  | *$' | head -20

single=$work/single
"$bin" sample "${sample_args[@]}" --method neutra --flow "$run/train/flow.json" --chains 8 \
  --seed 7 --quiet --out "$single" >/dev/null
for k in $(seq 1 8); do
  cmp <(grep -v '^#' "$run/merged/chain_$k.csv") <(grep -v '^#' "$single/chain_$k.csv") \
    || { echo "chain $k: merged draws differ from the one-machine run" >&2; exit 1; }
done
python3 - "$run/merged/summary.json" "$single/summary.json" <<'PY'
import json, sys
merged, single = (json.load(open(p)) for p in sys.argv[1:])
assert merged["parameters"] == single["parameters"], "summary parameters differ"
for key in ["num_chains", "num_draws_per_chain", "num_divergent", "num_grad_evals", "chain_ids", "identity"]:
    assert merged["run"][key] == single["run"][key], f"run.{key} differs"
nested = merged["nested_r_hat"]
print(f"  summary.json parameters, run counts and identity equal; nested R-hat over "
      f"{len(nested['superchains'])} shards: max {nested['max']:.4f}")
PY
say "passed: 8 chains from 4 Slurm array tasks equal the one-machine run draw for draw"

#!/usr/bin/env bash
# NPE benchmark on the sbibm tasks (not part of CI: hours on 2 cores).
#
#   scripts/npe_c2st.sh [OUTDIR]        (default: target/npe-c2st)
#
# For every task and budget it trains one estimator (`flowpost npe run`, seed 1, observation 1),
# then samples 10,000 posterior draws for the other observations with `flowpost npe sample`
# (NPE is amortized: the network never sees x_o during training, so one training per task and
# budget serves all observations; sbibm retrains per observation, which only changes the seed).
# Plan, in priority order: 10^4 simulations for observations 1-10, then 10^3 and 10^5 for
# observations 1-3. A scorer runs beside the trainer and appends the C2ST of every sample file
# (`../shared/tools/c2st.py`, sbibm's recipe) to OUTDIR/c2st.tsv. Re-running resumes: finished
# trainings and scores are kept. ENSEMBLE=K trains ensembles of K estimators. MODE=train or MODE=score runs one half only. `scripts/npe_c2st_table.py OUTDIR` prints the table.
#
# Needs numpy + scikit-learn for c2st.py: PYTHON (default /work/venv-c2st/bin/python), e.g.
#   python3 -m venv /work/venv-c2st && /work/venv-c2st/bin/pip install numpy scikit-learn
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=${1:-$ROOT/target/npe-c2st}
REF=${SBIBM_REF:-$ROOT/../shared/reference/sbibm}
C2ST=${C2ST_SCRIPT:-$ROOT/../shared/tools/c2st.py}
PY=${PYTHON:-/work/venv-c2st/bin/python}
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
BIN=${FLOWPOST_BIN:-}
TASKS=${TASKS:-"two_moons slcp gaussian_linear gaussian_linear_uniform bernoulli_glm"}
PLAN=${PLAN:-"10000:10 1000:3 100000:3"}
ENSEMBLE=${ENSEMBLE:-1}  # --ensemble K of every training (1: a single estimator)
export OPENBLAS_NUM_THREADS=1

mkdir -p "$OUT"
if [ -z "$BIN" ]; then
  # Run a private copy, so rebuilding the workspace during the benchmark changes nothing.
  (cd "$ROOT" && nice cargo build --release -q -p flowpost-cli)
  cp "$TARGET/release/flowpost" "$OUT/flowpost"
  BIN=$OUT/flowpost
fi
touch "$OUT/c2st.tsv"

trainer() {
  for entry in $PLAN; do
    n=${entry%%:*}; nobs=${entry##*:}
    for task in $TASKS; do
      dir=$OUT/$task/$n
      mkdir -p "$OUT/$task"
      if [ ! -f "$dir/run.json" ]; then
        "$BIN" npe run "$task" --simulations "$n" --observation 1 --seed 1 \
          --num-samples 10000 --ensemble "$ENSEMBLE" --out "$dir" --quiet 2> "$dir.log" || { echo "train failed: $task $n" >&2; continue; }
        cp "$dir/posterior_samples.csv" "$dir/samples_obs1.csv"
      fi
      for k in $(seq 2 "$nobs"); do
        [ -f "$dir/samples_obs$k.csv" ] && continue
        "$BIN" npe sample "$dir" --x-obs "$REF/$task/num_observation_$k/observation.json" \
          --num-samples 10000 --seed "$k" --out "$dir/samples_obs$k.tmp.csv" 2>> "$dir.log"
        mv "$dir/samples_obs$k.tmp.csv" "$dir/samples_obs$k.csv"
      done
    done
  done
  touch "$OUT/.trainer_done"
}

scorer() {
  # Breadth first: observation 1 of every task and budget, then observation 2, ...
  local maxobs=0
  for entry in $PLAN; do [ "${entry##*:}" -gt "$maxobs" ] && maxobs=${entry##*:}; done
  while true; do
    pending=0
    for k in $(seq 1 "$maxobs"); do
      for entry in $PLAN; do
        n=${entry%%:*}; nobs=${entry##*:}
        [ "$k" -gt "$nobs" ] && continue
        for task in $TASKS; do
          key=$(printf '%s\t%s\t%s\t' "$task" "$n" "$k")
          grep -q "^$key" "$OUT/c2st.tsv" && continue
          f=$OUT/$task/$n/samples_obs$k.csv
          if [ -f "$f" ]; then
            t0=$(date +%s)
            score=$("$PY" "$C2ST" "$REF/$task/num_observation_$k/reference_posterior_samples.csv" "$f")
            printf '%s%s\t%s\n' "$key" "$score" "$(( $(date +%s) - t0 ))" >> "$OUT/c2st.tsv"
            continue 4  # rescan from observation 1: newly trained runs come first
          else
            pending=1
          fi
        done
      done
    done
    if [ "$pending" = 0 ]; then break; fi
    # Trainer finished but some samples are missing (a failed run): stop.
    if [ -f "$OUT/.trainer_done" ]; then break; fi
    sleep 20
  done
}

case "${MODE:-both}" in
  train) rm -f "$OUT/.trainer_done"; trainer ;;
  score) scorer ;;
  *) rm -f "$OUT/.trainer_done"; trainer & scorer; wait ;;
esac
python3 "$ROOT/scripts/npe_c2st_table.py" "$OUT" "$REF"

#!/usr/bin/env bash
# Runs deploy/k8s's three steps in order: storage and settings, the training Job, the Indexed
# Job of shards, the merge Job — each started once the one before has completed (Kubernetes
# Jobs have no dependencies of their own). Stops at the first failed Job and prints its logs.
# Usage: deploy/k8s/run.sh [kubectl options, e.g. -n NAMESPACE]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
k() { kubectl "$@"; }
wait_job() {
  local job=$1 state=""
  while :; do
    state=$(k "${opts[@]}" get job "$job" \
      -o jsonpath='{.status.conditions[?(@.status=="True")].type}')
    case "$state" in
      *Complete*) echo "job/$job complete"; return 0 ;;
      *Failed*) echo "job/$job failed:" >&2; k "${opts[@]}" logs "job/$job" --tail=50 >&2 || true; return 1 ;;
    esac
    sleep 5
  done
}
opts=("$@")
k "${opts[@]}" apply -f "$here/00-storage.yaml"
for step in 10-train:flowpost-train 20-shards:flowpost-shards 30-merge:flowpost-merge; do
  file=${step%%:*} job=${step#*:}
  k "${opts[@]}" delete job "$job" --ignore-not-found
  k "${opts[@]}" apply -f "$here/$file.yaml"
  wait_job "$job"
done
k "${opts[@]}" logs job/flowpost-merge

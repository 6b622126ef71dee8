#!/usr/bin/env bash
# Interop check (issue 15): `flowpost sample` folders read by the Python tools, for real.
#
#   scripts/interop_check.sh
#
# 1. A Python >= 3.12 virtualenv with arviz==1.3.*, cmdstanpy==1.3.* and zarr==3.* (xarray's
#    zarr engine) from PyPI, and one with
#    arviz==0.23.* (the last ArviZ with `from_cmdstan`), kept under target/ and reused while their
#    requirements and interpreter are the same (FLOWPOST_INTEROP_VENV=DIR moves the first,
#    FLOWPOST_INTEROP_VENV_023=DIR the second).
# 2. `flowpost sample --format csv,zarr` on eight_schools_noncentered three ways: auto (whitened,
#    low-rank metric), --method nuts (diagonal metric), --method neutra (NUTS in a flow's latent
#    space).
# 3. scripts/interop_check.py: `cmdstanpy.from_csv` accepts each folder's CSVs (its step sizes and
#    inverse mass matrices are the files'), `arviz.from_cmdstanpy` + `arviz.summary` give
#    summary.json's R-hat, bulk ESS and MCSE of the mean and `arviz_stats`'s 5%/95% tail ESS
#    summary.json's tail ESS, all to 1e-6; ArviZ 0.23's `from_cmdstan` the same four; and
#    `xarray.open_datatree(draws.zarr, engine="zarr")` + `arviz.summary` (ArviZ 1.3) on each
#    folder's zarr store the same four, with the store's groups, dims and sample_stats checked.
#
# Any missing piece (no Python >= 3.12, no network for pip) is a failure with its reason, never a
# skip. The interpreter: INTEROP_PYTHON, else the first Python >= 3.12 among python3.13,
# python3.12, python3 and pyenv's installed versions. The binary: FLOWPOST_BIN, else
# `cargo build --release -p flowpost-cli`.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
VENV=${FLOWPOST_INTEROP_VENV:-$TARGET/interop-venv}
VENV_023=${FLOWPOST_INTEROP_VENV_023:-$TARGET/interop-venv-arviz023}
RUNS=$TARGET/interop-runs
REQ_1=("arviz==1.3.*" "cmdstanpy==1.3.*" "zarr==3.*")
REQ_023=("arviz==0.23.*")
start=$(date +%s)

fail() {
  echo "interop_check: FAILED: $*" >&2
  exit 1
}

is_312() {
  "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' >/dev/null 2>&1
}

find_python() {
  if [ -n "${INTEROP_PYTHON:-}" ]; then
    is_312 "$INTEROP_PYTHON" || fail "INTEROP_PYTHON=$INTEROP_PYTHON is not a Python >= 3.12"
    echo "$INTEROP_PYTHON"
    return
  fi
  local candidates=(python3.13 python3.12 python3)
  if command -v pyenv >/dev/null 2>&1; then
    local root
    root=$(pyenv root)
    candidates+=("$root"/versions/3.1[2-9]*/bin/python3)
  fi
  for py in "${candidates[@]}"; do
    if command -v "$py" >/dev/null 2>&1 && is_312 "$py"; then
      command -v "$py"
      return
    fi
  done
  fail "no Python >= 3.12 found (tried ${candidates[*]}); ArviZ 1.x needs one: install it, or set INTEROP_PYTHON"
}

# make_venv DIR REQUIREMENT...: DIR holds a virtualenv of $PY with exactly these requirements,
# reused when its stamp says so.
make_venv() {
  local dir=$1
  shift
  local stamp
  stamp="$("$PY" -c 'import sys; print(sys.version)' | head -1) | $*"
  if [ -f "$dir/.interop-stamp" ] && [ "$(cat "$dir/.interop-stamp")" = "$stamp" ]; then
    echo "interop_check: reusing $dir ($*)"
    return
  fi
  echo "interop_check: creating $dir ($*) from PyPI"
  rm -rf "$dir"
  "$PY" -m venv "$dir" || fail "could not create a virtualenv with $PY in $dir"
  "$dir/bin/pip" install --quiet --disable-pip-version-check "$@" \
    || fail "pip could not install $* into $dir (is PyPI reachable?)"
  echo "$stamp" > "$dir/.interop-stamp"
}

PY=$(find_python)
echo "interop_check: Python $("$PY" -c 'import platform; print(platform.python_version())') ($PY)"
# The two installs run side by side (most of a cold run's time is pip's).
make_venv "$VENV" "${REQ_1[@]}" &
venv_1=$!
make_venv "$VENV_023" "${REQ_023[@]}" &
venv_023=$!
wait "$venv_1" || fail "the ArviZ 1.x virtualenv is missing (above)"
wait "$venv_023" || fail "the ArviZ 0.23 virtualenv is missing (above)"

BIN=${FLOWPOST_BIN:-}
if [ -z "$BIN" ]; then
  (cd "$ROOT" && cargo build --release -q -p flowpost-cli) || fail "cargo build failed"
  BIN=$TARGET/release/flowpost
fi

rm -rf "$RUNS"
mkdir -p "$RUNS"
sample() {
  local name=$1
  shift
  "$BIN" sample eight_schools_noncentered --quiet --format csv,zarr --out "$RUNS/$name" "$@" \
    > "$RUNS/$name.log" 2>&1 \
    || { cat "$RUNS/$name.log" >&2; fail "flowpost sample $* failed"; }
}
sample auto
sample nuts --method nuts
sample neutra --method neutra
dirs=("$RUNS/auto" "$RUNS/nuts" "$RUNS/neutra")

"$VENV/bin/python" "$ROOT/scripts/interop_check.py" cmdstanpy "${dirs[@]}" \
  || fail "ArviZ 1.x / CmdStanPy disagree with flowpost (above)"
"$VENV_023/bin/python" "$ROOT/scripts/interop_check.py" arviz023 "${dirs[@]}" \
  || fail "ArviZ 0.23 from_cmdstan disagrees with flowpost (above)"
zarr_start=$(date +%s)
"$VENV/bin/python" "$ROOT/scripts/interop_check.py" zarr "${dirs[@]}" \
  || fail "ArviZ 1.x on flowpost's zarr store disagrees with flowpost (above)"
echo "interop_check: the zarr store check took $(( $(date +%s) - zarr_start )) s"
echo "interop_check: passed in $(( $(date +%s) - start )) s"

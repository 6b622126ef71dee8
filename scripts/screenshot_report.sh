#!/usr/bin/env bash
# Renders a report.html in headless Chromium (Debian's `chromium` package), checks that every plot
# rendered and that the page logged nothing to the console (scripts/check_report.py), and takes
# screenshots.
#
# usage: scripts/screenshot_report.sh [REPORT.html] [OUTDIR] [CHECK_REPORT_ARGS...]
#   Without REPORT.html, builds the synthetic runs of examples/synthetic_run.rs (good, bad, large),
#   runs `flowpost diagnose --out` on the bad one's CSV files too, and checks all four reports;
#   then the NPE pages: `npe run two_moons` (1000 simulations, 30 epochs) and `npe sbc` on it.
#   With REPORT.html, CHECK_REPORT_ARGS go to scripts/check_report.py (e.g. `--npe
#   --expect-posterior` for an `npe run` report, `--npe --expect-sbc 3` for a 2-parameter SBC page).
#   Screenshots go to OUTDIR (default target/report-screenshots): NAME-top.png (1280x2400, the
#   top of the page) and NAME-full.png (the whole page).
#   Set CHECK_VI=1 to require the NeuTra section for a given REPORT.html, CHECK_MODES=1 the
#   multimodal section. Without REPORT.html, a `--method multimodal` run of mixture2 is checked
#   for its modes section too.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v chromium >/dev/null || { echo "needs chromium: apt-get install -y chromium" >&2; exit 2; }
OUT="${2:-target/report-screenshots}"
mkdir -p "$OUT"

chromium_run() { # chromium_run USERDIR ARGS...
  local ud="$1"; shift
  timeout 120 chromium --headless --no-sandbox --disable-gpu --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --hide-scrollbars --user-data-dir="$ud" "$@"
}

check_one() { # check_one NAME REPORT.html EXTRA_CHECK_ARGS...
  local name="$1" report="$2"; shift 2
  local url="file://$(realpath "$report")"
  local ud; ud="$(mktemp -d)"
  chromium_run "$ud" --enable-logging=stderr --v=0 --dump-dom "$url" >"$OUT/$name-dom.html" 2>"$OUT/$name-chromium.log"
  python3 scripts/check_report.py "$OUT/$name-dom.html" "$OUT/$name-chromium.log" "$@"
  # Page height from the DOM is unknown to headless screenshots: render tall, then trim the
  # page background below the footer when ImageMagick is there.
  chromium_run "$ud" --window-size=1280,2400 --screenshot="$OUT/$name-top.png" "$url" 2>/dev/null
  chromium_run "$ud" --window-size=1280,16000 --screenshot="$OUT/$name-full.png" "$url" 2>/dev/null
  if command -v magick >/dev/null || convert -version 2>/dev/null | grep -q ImageMagick; then
    convert "$OUT/$name-full.png" -trim +repage "$OUT/$name-full.png" 2>/dev/null || true
  fi
  rm -rf "$ud"
  echo "screenshots: $OUT/$name-top.png $OUT/$name-full.png"
}

if [[ $# -ge 1 ]]; then
  extra=()
  [[ "${CHECK_VI:-0}" == 1 ]] && extra+=(--expect-vi)
  [[ "${CHECK_MODES:-0}" == 1 ]] && extra+=(--expect-modes)
  report="$1"
  shift $(( $# >= 2 ? 2 : 1 ))
  check_one "$(basename "$(dirname "$(realpath "$report")")")" "$report" "${extra[@]}" "$@"
  exit 0
fi

cargo build --release --example synthetic_run --bin flowpost >&2
TD="${CARGO_TARGET_DIR:-target}/release"
RUNS="$OUT/runs"
for s in good bad large; do
  "$TD/examples/synthetic_run" "$RUNS/$s" "$s" 2>/dev/null
done
"$TD/flowpost" diagnose "$RUNS"/bad/chain_*.csv --out "$RUNS/bad-diagnose" >/dev/null
rm -rf "$RUNS/multimodal"
"$TD/flowpost" sample mixture2 --method multimodal --seed 1 --out "$RUNS/multimodal" >/dev/null
check_one good "$RUNS/good/direct/report.html" --expect-vi --min-params 10
check_one bad "$RUNS/bad/direct/report.html" --expect-vi --min-params 10
check_one large "$RUNS/large/direct/report.html" --expect-vi --min-params 100
check_one bad-diagnose "$RUNS/bad-diagnose/report.html" --min-params 10
check_one multimodal "$RUNS/multimodal/report.html" --expect-modes --min-params 2
rm -rf "$RUNS/npe"
"$TD/flowpost" npe run two_moons --simulations 1000 --max-epochs 30 --seed 1 --num-samples 2000 --out "$RUNS/npe" --quiet 2>/dev/null
"$TD/flowpost" npe sbc "$RUNS/npe" --task two_moons --datasets 200 --out "$RUNS/npe-sbc.json" 2>/dev/null
check_one npe "$RUNS/npe/report.html" --npe --expect-posterior
check_one npe-sbc "$RUNS/npe-sbc.html" --npe --expect-sbc 3

#!/usr/bin/env python3
"""Checks a report.html as Chromium rendered it (stdlib only).

usage: check_report.py DOM.html CHROMIUM_LOG [--expect-vi] [--expect-modes] [--min-params N]
       check_report.py DOM.html CHROMIUM_LOG --npe [--expect-posterior] [--expect-sbc N]

The first form checks the sampling report, the second an NPE report (`npe train`/`npe run`'s
report.html, `npe sbc`'s page): training loss curves (unless only --expect-sbc is given), the
posterior pair plot with --expect-posterior, and with --expect-sbc N the SBC section with N rank
ECDF panels (parameters + the density rank), the coverage and the TARP plots.

DOM.html is `chromium --dump-dom` of the report, CHROMIUM_LOG its stderr with
`--enable-logging=stderr`. Fails (exit 1, one line per problem) when
  * a plot is missing or empty: every <figure data-plot=KIND> must hold one <svg> of non-zero
    size with the drawing elements its kind needs (polylines for traces, rects for histograms,
    circles for the pair plot, ...);
  * trace and rank plots do not come in pairs, or fewer than N parameters are plotted;
  * the page logged anything to the console (the report has no scripts, so any console message,
    error or not, is unexpected);
  * the page refers to anything outside itself (src/href other than in-page anchors);
  * with --expect-modes (a multimodal run): there is no modes table (<table data-table="modes">)
    with a header and at least one mode row of as many cells, or the jump acceptance or log
    evidence (<dd data-fact=...>) is missing or empty.
"""
import sys
from html.parser import HTMLParser

# kind -> {svg element: minimum count}
NEEDS = {
    "trace": {"polyline": 1, "text": 4},
    "rank": {"polyline": 2, "text": 4},
    "energy": {"rect": 10, "text": 4},
    "step-size": {"polyline": 1, "text": 4},
    "tree-depth": {"rect": 2, "text": 4},
    "pair": {"circle": 10, "rect": 10, "text": 4},
    "elbo": {"polyline": 1, "text": 4},
    "pareto-k": {"rect": 4, "text": 4},
    "loss": {"polyline": 2, "text": 4},
    "ecdf": {"polygon": 1, "polyline": 2, "text": 4},
    "coverage": {"polygon": 1, "polyline": 3, "circle": 5, "text": 4},
    "tarp": {"polyline": 2, "text": 4},
}
ALWAYS = ["trace", "rank", "energy", "step-size", "tree-depth"]


class Collector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.figures = []  # (kind, {tag: count}, [svg sizes])
        self.stack_depth = 0
        self.current = None
        self.external = []
        self.rows = 0
        self.in_modes = False
        self.modes_rows = []  # cells per <tr> of the modes table
        self.fact = None
        self.facts = {}  # data-fact -> text

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        for key in ("src", "href"):
            v = a.get(key)
            if v is not None and not v.startswith("#"):
                self.external.append(f"<{tag} {key}={v!r}>")
        if tag == "tr":
            self.rows += 1
            if self.in_modes:
                self.modes_rows.append(0)
        if tag == "table" and a.get("data-table") == "modes":
            self.in_modes = True
        if self.in_modes and tag in ("td", "th") and self.modes_rows:
            self.modes_rows[-1] += 1
        if tag == "dd" and "data-fact" in a:
            self.fact = a["data-fact"]
            self.facts[self.fact] = ""
        if tag == "figure" and "data-plot" in a:
            self.current = (a["data-plot"], {}, [])
            self.figures.append(self.current)
            return
        if self.current is not None:
            counts = self.current[1]
            counts[tag] = counts.get(tag, 0) + 1
            if tag == "svg":
                self.current[2].append((a.get("width"), a.get("height")))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def handle_data(self, data):
        if self.fact is not None:
            self.facts[self.fact] += data

    def handle_endtag(self, tag):
        if tag == "figure":
            self.current = None
        if tag == "table":
            self.in_modes = False
        if tag == "dd":
            self.fact = None


def main():
    args = sys.argv[1:]
    expect_vi = "--expect-vi" in args
    expect_modes = "--expect-modes" in args
    min_params = 1
    if "--min-params" in args:
        min_params = int(args[args.index("--min-params") + 1])
    dom_path, log_path = [a for a in args if not a.startswith("--") and not a.isdigit()][:2]
    dom = open(dom_path, encoding="utf-8").read()
    log = open(log_path, encoding="utf-8", errors="replace").read()
    c = Collector()
    c.feed(dom)
    problems = []
    kinds = {}
    for kind, counts, sizes in c.figures:
        kinds[kind] = kinds.get(kind, 0) + 1
        if len(sizes) != 1:
            problems.append(f"{kind}: {len(sizes)} <svg> elements, expected 1")
            continue
        w, h = sizes[0]
        if not (w and h and float(w) > 0 and float(h) > 0):
            problems.append(f"{kind}: svg of size {w}x{h}")
        for tag, n in NEEDS.get(kind, {}).items():
            if counts.get(tag, 0) < n:
                problems.append(f"{kind}: {counts.get(tag, 0)} <{tag}> elements, expected at least {n}")
    if "--npe" in args:
        sbc_panels = int(args[args.index("--expect-sbc") + 1]) if "--expect-sbc" in args else 0
        needed = [] if sbc_panels and "--expect-posterior" not in args else ["loss"]
        needed += ["pair"] if "--expect-posterior" in args else []
        needed += ["ecdf", "coverage", "tarp"] if sbc_panels else []
        if sbc_panels and kinds.get("ecdf", 0) != sbc_panels:
            problems.append(f"{kinds.get('ecdf', 0)} rank ECDF plots, expected {sbc_panels}")
        if 'id="warnings"' not in dom:
            problems.append("no warnings section")
    else:
        needed = ALWAYS + (["elbo", "pareto-k"] if expect_vi else [])
        if kinds.get("trace", 0) != kinds.get("rank", 0):
            problems.append(f"{kinds.get('trace', 0)} trace plots but {kinds.get('rank', 0)} rank plots")
        if kinds.get("trace", 0) < min_params:
            problems.append(f"{kinds.get('trace', 0)} parameters plotted, expected at least {min_params}")
        if min_params >= 2 and "pair" not in kinds:
            problems.append("no pair plot")
    for kind in needed:
        if kind not in kinds:
            problems.append(f"no {kind} plot")
    if expect_modes:
        r = c.modes_rows
        if len(r) < 2:
            problems.append(f"modes table: {max(len(r) - 1, 0)} mode rows, expected at least 1")
        elif any(n != r[0] or n < 6 for n in r):
            problems.append(f"modes table: rows of {r} cells, expected equal rows of at least 6")
        for fact in ("jump-acceptance", "log-evidence"):
            if not c.facts.get(fact, "").strip():
                problems.append(f"no {fact} in the modes section")
    console = [l for l in log.splitlines() if ":CONSOLE" in l or "Uncaught" in l]
    problems += [f"console: {l.strip()}" for l in console]
    problems += [f"external reference: {e}" for e in c.external]
    summary = ", ".join(f"{k} x{n}" for k, n in sorted(kinds.items()))
    if problems:
        print("report check FAILED:")
        for p in problems:
            print("  " + p)
        sys.exit(1)
    print(f"report check ok: {len(c.figures)} plots ({summary}), {max(c.rows - 1, 0)} table rows, no console messages, no external references")


if __name__ == "__main__":
    main()

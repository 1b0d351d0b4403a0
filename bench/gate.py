"""Quality gate on the real labelled data sets: run every evaluation named in bench/floors.json and fail
when a figure falls below its floor (or rises above its ceiling).

    python bench/gate.py --data DATASETS [--only cleaning,entities] [--show]

bench/floors.json holds one section per evaluation:

    "cleaning": {
      "command": ["bench/eval_cleaning.py", "--data", "{data}", "--json", "{out}"],
      "floors": {"google-news/html_to_text/F1": {"min": 0.85}, "dragnet-dev/leak": {"max": 0.02}}
    }

The command is run with this interpreter (`{data}`: the data-set folder, `{out}`: a JSON file the
command writes, a flat object of metric name -> number). Every floor must name a metric the command
wrote: a missing metric fails the gate as a drop would. Floors only rise and ceilings only fall: a
change that lowers one is a regression to explain in the commit, not a setting to tune. The data sets
are never read by the tests or the pipeline; `.ci/run` calls this script only when they exist.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FLOORS = ROOT / "bench" / "floors.json"


def check(metrics: dict[str, float], floors: dict[str, dict[str, float]]) -> list[str]:
    """One line per floor that does not hold (empty: every floor holds)."""
    failures = []
    for name, bound in sorted(floors.items()):
        if name not in metrics or not isinstance(metrics[name], int | float):
            failures.append(f"{name}: not reported by the evaluation")
            continue
        value = float(metrics[name])
        if "min" in bound and value < bound["min"]:
            failures.append(f"{name}: {value:.4f} below its floor {bound['min']}")
        if "max" in bound and value > bound["max"]:
            failures.append(f"{name}: {value:.4f} above its ceiling {bound['max']}")
    return failures


def run_section(name: str, spec: dict, data: Path) -> tuple[dict[str, float], list[str], float]:
    """Run one section's command; (metrics, failures, seconds)."""
    with tempfile.TemporaryDirectory(prefix=f"gate-{name}-") as tmp:
        out = Path(tmp) / "metrics.json"
        cmd = [sys.executable] + [a.replace("{data}", str(data)).replace("{out}", str(out)) for a in spec["command"]]
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, cwd=ROOT)
        secs = time.perf_counter() - t0
        if proc.returncode != 0:
            return {}, [f"{' '.join(cmd)} exited with {proc.returncode}"], secs
        if not out.is_file():
            return {}, [f"{' '.join(cmd)} wrote no metrics to {out.name}"], secs
        metrics = json.loads(out.read_text(encoding="utf-8"))
    return metrics, check(metrics, spec.get("floors", {})), secs


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, required=True, help="the development data-set folder (DATASETS)")
    ap.add_argument("--only", default="", help="comma-separated section names (default: all)")
    ap.add_argument("--floors", type=Path, default=FLOORS)
    ap.add_argument("--show", action="store_true", help="print every metric, not only the failures")
    a = ap.parse_args(argv)
    if not a.data.is_dir():
        print(f"gate: data folder {a.data} does not exist", file=sys.stderr)
        return 2
    sections = json.loads(a.floors.read_text(encoding="utf-8"))
    only = {s for s in a.only.split(",") if s}
    unknown = only - set(sections)
    if unknown:
        print(f"gate: no section {', '.join(sorted(unknown))} in {a.floors}", file=sys.stderr)
        return 2
    failed = 0
    for name, spec in sections.items():
        if name.startswith("_") or (only and name not in only) or not spec.get("command"):
            continue
        metrics, failures, secs = run_section(name, spec, a.data.resolve())
        status = "FAIL" if failures else "ok"
        print(f"gate {name}: {status} ({len(spec.get('floors', {}))} floors, {secs:.0f} s)")
        if a.show:
            for k in sorted(metrics):
                print(f"  {k} = {metrics[k]}")
        for f in failures:
            print(f"  {f}")
        failed += bool(failures)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())

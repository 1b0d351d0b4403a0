"""Start-up cost of `newslake run` (issue 18): wall time of small runs against the flow's own work.

Runs the real CLI in fresh subprocesses (a temporary PREFECT_HOME and warehouse per mode) and prints,
for each way of reaching a Prefect API:
- `ephemeral`: Prefect's own ephemeral mode (NEWSLAKE_PREFECT_API=ephemeral: the temporary API server
  is started by the flow engine once the pipeline is imported) - the behaviour before issue 18;
- `background`: the CLI starts the same temporary API server as its first step, so it boots while the
  pipeline is imported, and stops it with the run (NEWSLAKE_API_LINGER_S=0);
- `reuse` (default): as `background`, but the server stays up idle for the next run, which leases it
  and skips its boot (a warm-up run leaves one up before the timed runs);
- `server`: PREFECT_API_URL pointing at a running local `prefect server start` (started here, not timed);
the wall time of a seeds run and of its unchanged re-run, the flow's own time (runs.started_at ..
finished_at), wall / flow, and the time to import the pipeline, to boot the temporary API and to fail on
a bad --input. With `--corpus N` also a first run and an unchanged re-run of an N-document corpus
(bench/make_corpus.py, loose files) with the re-run as a share of the first run.

Python writes bytecode in these subprocesses (PYTHONDONTWRITEBYTECODE is dropped) as it does for a
user; the warm-up run of each mode compiles the project's modules once.

    python bench/bench_startup.py [--repeat 3] [--corpus 20000] [--modes ephemeral background reuse server]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUN_DATE = "2026-11-21"
MODES = ("ephemeral", "background", "reuse", "server")


def _env(home: Path, mode: str, api_url: str | None) -> dict[str, str]:
    drop = ("NEWSLAKE_PREFECT_API", "NEWSLAKE_API_LINGER_S", "PYTHONDONTWRITEBYTECODE")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_") and k not in drop}
    env["PREFECT_HOME"] = str(home)
    env["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
    if mode == "ephemeral":
        env["NEWSLAKE_PREFECT_API"] = "ephemeral"
    if mode == "background":
        env["NEWSLAKE_API_LINGER_S"] = "0"
    if mode == "reuse":
        env["NEWSLAKE_API_LINGER_S"] = "600"
    if mode == "server" and api_url:
        env["PREFECT_API_URL"] = api_url
    return env


def _timed(cmd: list[str], env: dict[str, str]) -> tuple[float, subprocess.CompletedProcess]:
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=3600)
    return time.perf_counter() - t0, proc


def _run(inputs: Path, wh: Path, env: dict[str, str]) -> tuple[float, float]:
    """(wall seconds, the flow's own seconds from the runs row) of one `newslake run`."""
    wall, proc = _timed([sys.executable, "-m", "flows.cli", "run", "--input", str(inputs), "--warehouse", str(wh), "--run-date", RUN_DATE, "--quiet"], env)
    if proc.returncode != 0:
        raise SystemExit(f"newslake run failed ({proc.returncode}): {proc.stderr[-1500:]}")
    sys.path.insert(0, str(ROOT))
    from tasks.storage import Warehouse

    run = Warehouse(str(wh)).runs()[-1]
    return wall, (run["finished_at"] - run["started_at"]).total_seconds()


def _start_server(home: Path) -> tuple[subprocess.Popen, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = _env(home, "server", None)
    proc = subprocess.Popen([sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", str(port)],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    url = f"http://127.0.0.1:{port}/api"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url + "/health", timeout=2):
                return proc, url
        except OSError:
            time.sleep(0.5)
    proc.kill()
    raise SystemExit("prefect server did not start in 180 s")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3, help="seeds runs per mode (median reported)")
    ap.add_argument("--corpus", type=int, default=0, help="also time a first and an unchanged re-run of an N-document corpus")
    ap.add_argument("--modes", nargs="+", choices=MODES, default=list(MODES))
    args = ap.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="newslake-startup-"))
    seeds = ROOT / "seeds"

    base_env = _env(tmp / "home-import", "background", None)
    _timed([sys.executable, "-c", "import flows.pipeline"], base_env)  # bytecode written once
    imports = [_timed([sys.executable, "-c", "import flows.pipeline"], base_env)[0] for _ in range(args.repeat)]
    bad = [_timed([sys.executable, "-m", "flows.cli", "run", "--input", str(tmp / "nope.jsonl")], base_env)[0] for _ in range(args.repeat)]
    boot_code = ("import time; t = time.perf_counter(); from flows.deploy import TemporaryApi; a = TemporaryApi(linger_s=0).start(); "
                 "a.wait_ready(); print(time.perf_counter() - t); a.stop()")
    boots = []
    for _ in range(args.repeat + 1):  # the first creates and migrates the Prefect database
        proc = subprocess.run([sys.executable, "-c", boot_code], cwd=ROOT, env=base_env, capture_output=True, text=True, timeout=600)
        boots.append(float(proc.stdout.strip() or "nan"))
    results: dict[str, dict[str, float]] = {"start_up": {"import_pipeline_s": statistics.median(imports), "bad_input_s": statistics.median(bad),
                                                         "api_boot_s": statistics.median(boots[1:]), "load_avg_1min": os.getloadavg()[0]}}
    print(f"import flows.pipeline: {statistics.median(imports):.2f} s; temporary API boots in {statistics.median(boots[1:]):.2f} s; "
          f"bad --input fails in {statistics.median(bad):.2f} s (median of {args.repeat}; load average {os.getloadavg()[0]:.1f})", flush=True)

    corpus = None
    if args.corpus:
        sys.path.insert(0, str(ROOT / "bench"))
        from make_corpus import write

        corpus = write(tmp / "corpus", args.corpus, seed=7, fmt="files")

    for mode in args.modes:
        home = tmp / f"home-{mode}"
        server = None
        url = None
        if mode == "server":
            server, url = _start_server(home)
        try:
            env = _env(home, mode, url)
            _run(seeds, tmp / f"warm-{mode}", env)  # the Prefect database created and migrated once
            first, rerun, flow = [], [], []
            for i in range(args.repeat):
                wh = tmp / f"wh-{mode}-{i}"
                w, f = _run(seeds, wh, env)
                first.append(w)
                flow.append(f)
                rerun.append(_run(seeds, wh, env)[0])
            r = {"seeds_wall_s": statistics.median(first), "seeds_flow_s": statistics.median(flow), "seeds_rerun_wall_s": statistics.median(rerun)}
            r["seeds_wall_over_flow"] = r["seeds_wall_s"] / r["seeds_flow_s"]
            if corpus is not None:
                wh = tmp / f"wh-corpus-{mode}"
                w1, f1 = _run(corpus, wh, env)
                w2, _ = _run(corpus, wh, env)
                r.update(corpus_first_wall_s=w1, corpus_first_flow_s=f1, corpus_rerun_wall_s=w2, corpus_rerun_share=w2 / w1)
            r["load_avg_1min"] = os.getloadavg()[0]
            results[mode] = r
            print(f"{mode:10s} seeds run {r['seeds_wall_s']:6.2f} s wall ({r['seeds_flow_s']:.2f} s flow, wall/flow {r['seeds_wall_over_flow']:.1f}x), "
                  f"unchanged re-run {r['seeds_rerun_wall_s']:6.2f} s"
                  + (f"; {args.corpus} docs: first {w1:.1f} s, re-run {w2:.1f} s = {100 * r['corpus_rerun_share']:.1f}% of the first" if corpus is not None else ""),
                  flush=True)
        finally:
            if server is not None:
                os.killpg(server.pid, 15)
                server.wait(timeout=30)
            if mode == "reuse":
                subprocess.run([sys.executable, "-m", "flows.cli", "api", "stop"], cwd=ROOT, env=_env(home, mode, None), capture_output=True, timeout=60)
    if "ephemeral" in results:
        base = results["ephemeral"]
        for mode, r in results.items():
            if mode != "start_up":
                print(f"{mode:10s} seeds run wall / ephemeral's: {r['seeds_wall_s'] / base['seeds_wall_s']:.2f}; "
                      f"re-run: {r['seeds_rerun_wall_s'] / base['seeds_rerun_wall_s']:.2f}")
    print(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())

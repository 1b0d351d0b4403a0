"""The command line without Prefect: early one-line errors, exports, dry runs, maintenance commands,
the progress display; and (slow) the progress display and dry run against real flow runs."""

from __future__ import annotations

import csv
import io
import json
import logging
import os
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import pyarrow as pa
import pytest
from conftest import ROOT, SEEDS
from test_maintenance import publish, seg

from flows.cli import export_rows, main, parse_config
from flows.progress import STAGE_DONE, RunProgress
from tasks.schema import to_table
from tasks.storage import Warehouse


@pytest.fixture
def wh_dir(tmp_path) -> Path:
    wh = Warehouse(str(tmp_path / "wh"))
    wh.merge("segments", to_table("segments", [seg("a", 0, "one", "r1"), seg("b", 0, "bee", "r1")]), "r1")
    publish(wh, "r1")
    wh.merge("segments", to_table("segments", [seg("a", 0, "two", "r2")]), "r2")
    publish(wh, "r2")
    return tmp_path / "wh"


def _one_error_line(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    return err[0]


@pytest.mark.parametrize(
    "argv, message",
    [
        (["run", "--input", "{tmp}/nope.jsonl"], "--input {tmp}/nope.jsonl: no such file or directory"),
        (["run", "--config", "notjson"], "--config is not valid JSON"),
        (["run", "--config", "[1]"], "--config must be a JSON object"),
        (["run", "--config", '{"dedup": {"jacard": 0.5}}'], "--config: unknown config key(s) in 'dedup': ['jacard']"),
        (["run", "--config", '{"nope": 1}'], "--config: unknown config key 'nope'"),
        (["run", "--config", '{"dedup": 3}'], "--config: 'dedup' must be a JSON object"),
        (["run", "--config", '{"dedup": {"jaccard_threshold": "high"}}'], "--config: dedup.jaccard_threshold must be a number"),
        (["run", "--warehouse", "{tmp}/file.txt"], "--warehouse {tmp}/file.txt: exists and is not a directory"),
        (["tables", "--warehouse", "{tmp}/nonexistent"], "warehouse {tmp}/nonexistent does not exist"),
        (["history", "--warehouse", "{tmp}/nonexistent"], "warehouse {tmp}/nonexistent does not exist"),
        (["query", "select 1", "--warehouse", "{tmp}/nonexistent"], "warehouse {tmp}/nonexistent does not exist"),
        (["report", "--warehouse", "{tmp}/nonexistent"], "warehouse {tmp}/nonexistent does not exist"),
        (["vacuum", "--warehouse", "{tmp}"], "{tmp} is not a newslake warehouse"),
        (["history", "nope", "--warehouse", "{tmp}"], "unknown table 'nope'"),
        (["clean", "{tmp}/nope.html"], "{tmp}/nope.html: no such file"),
    ],
)
def test_bad_arguments_fail_in_one_line(argv, message, tmp_path, capsys):
    (tmp_path / "file.txt").write_text("x")
    assert main([a.replace("{tmp}", str(tmp_path)) for a in argv]) == 1
    line = _one_error_line(capsys)
    assert line.startswith("newslake: ") and message.replace("{tmp}", str(tmp_path)) in line, line


def test_errors_come_before_prefect_is_imported(tmp_path):
    """A bad path, config or warehouse fails without importing Prefect (which alone takes seconds)."""
    code = (
        "import sys; from flows.cli import main\n"
        f"rcs = [main(['run', '--input', {str(tmp_path / 'nope')!r}]), main(['run', '--config', 'notjson']),\n"
        f"       main(['tables', '--warehouse', {str(tmp_path / 'nope')!r}])]\n"
        "print(rcs, 'prefect' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert out.stdout.strip() == "[1, 1, 1] False", out.stdout + out.stderr
    assert len(out.stderr.strip().splitlines()) == 3 and "Traceback" not in out.stderr


@pytest.mark.parametrize(
    ("argv", "code", "stream", "text"),
    [
        (["--version"], 0, "stdout", "newslake "),
        (["run", "--input", "{tmp}/nope.jsonl"], 1, "stderr", "newslake: --input {tmp}/nope.jsonl: no such file"),
        (["run", "--bogus"], 2, "stderr", "unrecognized arguments: --bogus"),
        (["tables", "--warehouse", "{tmp}/wh"], 0, "stdout", "documents"),
    ],
)
def test_the_program_exits_fast_with_its_code_and_output(argv, code, stream, text, tmp_path, wh_dir):
    """`python -m flows.cli` ends without the interpreter's teardown (os._exit from the last exit
    handler): the exit code and everything printed still come out."""
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    out = subprocess.run([sys.executable, "-m", "flows.cli", *argv], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert out.returncode == code, out.stdout + out.stderr
    assert text.replace("{tmp}", str(tmp_path)) in getattr(out, stream), out.stdout + out.stderr


def test_start_up_gc_pauses_the_collector_and_freezes_what_start_up_built():
    import gc

    from flows.cli import StartUpGc

    assert gc.isenabled()
    with StartUpGc() as start_up:
        assert not gc.isenabled()
        frozen = gc.get_freeze_count()
        kept = [[i] for i in range(1000)]  # noqa: F841 - objects start-up builds
        start_up.done()
        assert gc.isenabled() and gc.get_freeze_count() >= frozen + 1000
    assert gc.isenabled()
    with pytest.raises(RuntimeError), StartUpGc():
        raise RuntimeError("start-up failed")
    assert gc.isenabled()
    gc.unfreeze()


def test_stages_load_while_the_api_boots_and_stop_once_it_answers(monkeypatch):
    import flows.batch
    from flows.cli import _load_stages_while_booting

    done: list[int] = []
    monkeypatch.setattr(flows.batch, "stage_loaders", lambda: [lambda: done.append(1), lambda: done.append(2), lambda: done.append(3)])

    class Api:
        def __init__(self, up_after: int) -> None:
            self.checks, self.up_after = 0, up_after

        def answers(self) -> bool:
            self.checks += 1
            return self.checks > self.up_after

    _load_stages_while_booting(Api(up_after=2))
    assert done == [1, 2]  # the API answered before the third step
    done.clear()
    _load_stages_while_booting(Api(up_after=0))
    assert done == []


def test_version(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0 and capsys.readouterr().out.startswith("newslake ")


@pytest.mark.parametrize("cmd", ["run", "serve", "api", "query", "report", "tables", "history", "clean", "vacuum", "optimize", "rollback", "upgrade"])
def test_every_command_has_help_with_logging_options(cmd, capsys):
    with pytest.raises(SystemExit):
        main([cmd, "--help"])
    out = capsys.readouterr().out
    assert f"usage: newslake {cmd}" in out and "--quiet" in out and "--log-level" in out


def test_parse_config_returns_the_overrides():
    assert parse_config('{"dedup": {"jaccard_threshold": 0.6}, "max_reject_share": 0.2}') == {
        "dedup": {"jaccard_threshold": 0.6}, "max_reject_share": 0.2}
    assert parse_config(None) is None


RESULT = pa.table(
    {
        "name": ["Ä", None],
        "n": [1, 22],
        "day": [date(2019, 11, 18), None],
        "at": pa.array([datetime(2026, 11, 21, 6, 31, 38, tzinfo=UTC), None], type=pa.timestamp("us", tz="UTC")),
        "actors": [[{"name": "ESA", "kind": "organisation"}], []],
    }
)


def test_csv_json_encodes_nested_columns_and_writes_iso_dates():
    rows = list(csv.DictReader(io.StringIO(export_rows(RESULT, "csv"))))
    assert rows[0] == {"name": "Ä", "n": "1", "day": "2019-11-18", "at": "2026-11-21T06:31:38+00:00",
                       "actors": '[{"name":"ESA","kind":"organisation"}]'}
    assert rows[1]["name"] == "" and rows[1]["day"] == "" and rows[1]["actors"] == "[]"


def test_json_is_an_array_and_jsonl_is_lines():
    data = json.loads(export_rows(RESULT, "json"))
    assert isinstance(data, list) and data[0]["day"] == "2019-11-18" and data[0]["at"] == "2026-11-21T06:31:38+00:00"
    assert data[0]["actors"][0]["name"] == "ESA" and data[1]["name"] is None
    lines = export_rows(RESULT, "jsonl").splitlines()
    assert [json.loads(x) for x in lines] == data


def test_table_format_aligns_text_left_numbers_right_and_leaves_nulls_empty():
    text = export_rows(RESULT, "table").splitlines()
    assert text[0].split() == ["name", "n", "day", "at", "actors"]
    assert text[2].split()[:3] == ["Ä", "1", "2019-11-18"] and text[2].startswith("Ä ")
    assert text[2].index("1") == text[0].index(" n ") + 1 == text[3].index("22") + 1  # numbers end at the header's end
    assert text[3].startswith("      22") and "None" not in text[3] and "NaN" not in text[3] and "NaT" not in text[3]


def test_query_is_sandboxed_unless_allowed(wh_dir, tmp_path, capsys):
    assert main(["query", "select * from read_csv('/etc/passwd')", "--warehouse", str(wh_dir)]) == 1
    assert "query refused" in _one_error_line(capsys)
    out = tmp_path / "x.csv"
    assert main(["query", f"copy (select 1) to '{out}'", "--warehouse", str(wh_dir)]) == 1
    assert not out.exists()
    capsys.readouterr()
    assert main(["query", f"copy (select * from segments) to '{out}'", "--allow-files", "--warehouse", str(wh_dir)]) == 0
    assert out.read_text().count("\n") == 3  # --allow-files lets it write
    capsys.readouterr()
    assert main(["query", "select text from segments order by text", "--format", "jsonl", "--warehouse", str(wh_dir)]) == 0
    assert [json.loads(x)["text"] for x in capsys.readouterr().out.splitlines()] == ["bee", "two"]


def test_maintenance_commands(wh_dir, capsys):
    assert main(["vacuum", "--dry-run", "--warehouse", str(wh_dir)]) == 0
    assert "would delete 0 data files" in capsys.readouterr().out
    assert main(["vacuum", "--keep-runs", "1", "--warehouse", str(wh_dir)]) == 0
    assert "deleted 1 data files" in capsys.readouterr().out
    assert main(["rollback", "--run", "r2", "--warehouse", str(wh_dir)]) == 0
    assert "restored to run r2" in capsys.readouterr().out
    assert main(["rollback", "--run", "r1", "--warehouse", str(wh_dir)]) == 1  # vacuumed away: fails, one line
    assert _one_error_line(capsys).startswith("newslake: rollback failed")
    assert main(["optimize", "--warehouse", str(wh_dir)]) == 0
    assert "published as run" in capsys.readouterr().out
    assert main(["upgrade", "--check", "--warehouse", str(wh_dir)]) == 0
    assert "every table matches" in capsys.readouterr().out
    assert main(["tables", "--warehouse", str(wh_dir)]) == 0
    out = capsys.readouterr().out
    assert "segments" in out and " ok " in out


def test_upgrade_check_names_an_index_of_another_signature_scheme(wh_dir, capsys):
    from tasks.config import DedupConfig
    from tasks.dedup import DedupInput, index_row, sign, signature_scheme

    wh = Warehouse(str(wh_dir))
    entries = sign([DedupInput("a", " ".join(f"w{i}" for i in range(40)), None)], DedupConfig())
    wh.merge("dedup_index", to_table("dedup_index", [index_row(e, "r2") for e in entries]), "r2")
    assert main(["upgrade", "--check", "--warehouse", str(wh_dir)]) == 1  # no scheme recorded: made before
    err = _one_error_line(capsys)
    assert "dedup_index (signatures made with a scheme not recorded" in err and "Rebuild" in err
    assert main(["upgrade", "--warehouse", str(wh_dir)]) == 1  # cannot be upgraded in place either
    capsys.readouterr()
    wh.record_signatures(signature_scheme(DedupConfig()))
    assert main(["upgrade", "--check", "--warehouse", str(wh_dir)]) == 0
    wh.record_signatures(signature_scheme(DedupConfig(num_perm=64)))
    assert main(["upgrade", "--check", "--warehouse", str(wh_dir)]) == 1
    assert "signatures made with scheme oph1-k2-p64-s1, this newslake signs with oph1-k2-p128-s1" in _one_error_line(capsys)
    # a run checks the index against the dedup settings it runs with, not the defaults
    (wh_dir.parent / "a.txt").write_text("Some article text that is long enough.")
    dry = ["run", "--dry-run", "--input", str(wh_dir.parent / "a.txt"), "--warehouse", str(wh_dir)]
    assert main([*dry, "--config", '{"dedup": {"num_perm": 64}}']) == 0
    capsys.readouterr()
    assert main(dry) == 1
    assert "this newslake signs with oph1-k2-p128-s1" in _one_error_line(capsys)


def test_dry_run_lists_inputs_without_running(tmp_path, capsys):
    inputs = tmp_path / "in"
    inputs.mkdir()
    (inputs / "a.txt").write_text("Some article text that is long enough.")
    (inputs / "empty.txt").write_bytes(b"")
    (inputs / "r.jsonl").write_text('{"id": "1", "text": "x"}\n')
    os.mkfifo(inputs / "pipe.txt")  # never opened: a dry run must not block on it
    assert main(["run", "--dry-run", "--input", str(inputs), "--warehouse", str(tmp_path / "wh")]) == 0
    out = capsys.readouterr().out
    assert "a.txt" in out and "r.jsonl" in out and "4 inputs" in out and "nothing written" in out
    assert "quarantine (not_a_regular_file)" in out and "quarantine (empty_input)" in out
    assert "jsonl" in out and "new" in out
    assert not (tmp_path / "wh").exists()


def record(msg, *args, name="prefect.flow_runs", level=logging.INFO, **extra):
    r = logging.LogRecord(name, level, __file__, 1, msg, args, None)
    r.__dict__.update(extra)
    return r


def test_progress_line_counts_inputs_and_follows_stages():
    t = [0.0]
    out = io.StringIO()
    p = RunProgress(out, total=4000, live=True, clock=lambda: t[0], min_interval_s=0)
    assert "starting Prefect" in p.line()
    t[0] = 5.0  # Prefect's start-up does not count against the rate
    p.emit(record("run %s: %d input files under %s -> %s (%d workers)", "r", 4000, "in", "wh", 2))
    t[0] = 15.0
    p.emit(record("batch %d: %d inputs -> %d documents, %d quarantined, %d unchanged", 1, 2000, 1990, 10, 0))
    line = p.line()
    assert "2,000/4,000 inputs" in line and "200/s" in line and "ETA 10s" in line and line.endswith("15s")
    p.emit(record("Finished in state Completed()", name="prefect.task_runs", task_run_name="dedup-1fc"))
    assert "merging events" in p.line()
    p.emit(record("Finished in state Completed()", name="prefect.task_runs", task_run_name="publish-8e3"))
    assert p.stage == STAGE_DONE
    p.emit(record("a %s warning", "flow", level=logging.WARNING))
    assert "newslake: warning: a flow warning\n" in out.getvalue()
    p.clear()
    assert out.getvalue().endswith("\r")


def test_progress_draws_nothing_when_not_a_terminal():
    out = io.StringIO()
    p = RunProgress(out, total=None, live=False)
    p.emit(record("batch %d: %d inputs -> %d documents, %d quarantined, %d unchanged", 1, 5, 5, 0, 0))
    p.clear()
    assert out.getvalue() == "" and "5 inputs" in p.line()


@pytest.mark.slow
def test_progress_follows_a_real_flow_run(tmp_path):
    """The display reads the flow's own log lines: if they drift, this fails."""
    from flows.pipeline import news_pipeline

    out = io.StringIO()
    progress = RunProgress(out, total=5, live=True, min_interval_s=0)
    loggers = [logging.getLogger("prefect.flow_runs"), logging.getLogger("prefect.task_runs")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.addHandler(progress)
        lg.setLevel(logging.INFO)  # the test session runs Prefect at WARNING; the CLI does the same
    try:
        news_pipeline(inputs=[str(SEEDS)], warehouse=str(tmp_path / "wh"), run_date="2026-11-21")
    finally:
        for lg, level in zip(loggers, levels, strict=True):
            lg.removeHandler(progress)
            lg.setLevel(level)
    assert progress.files == 5 and progress.done == 5 and progress.stage == STAGE_DONE
    assert "5/5 inputs" in out.getvalue()


@pytest.mark.slow
def test_dry_run_after_a_run_says_unchanged(seed_run, capsys):
    wh_dir, _ = seed_run
    assert main(["run", "--dry-run", "--input", str(SEEDS), "--warehouse", str(wh_dir)]) == 0
    out = capsys.readouterr().out
    assert "5 inputs; 5 unchanged" in out


def _alive(pid: int) -> bool:
    status = Path(f"/proc/{pid}/status")
    try:
        return "zombie" not in status.read_text().lower()
    except OSError:
        return False


def _wait_gone(pid: int, seconds: float) -> bool:
    import time

    deadline = time.monotonic() + seconds
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    return not _alive(pid)


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc")
def test_parent_watch_ends_a_child_whose_parent_was_killed():
    """`watch_parent` alone (no PR_SET_PDEATHSIG): a grandchild watching its parent exits once that
    parent is killed with SIGKILL."""
    import signal

    grandchild = (
        "import os, time; from flows.deploy import watch_parent; "
        "watch_parent(os.getppid(), lambda: os._exit(0), 0.05); print(os.getpid(), flush=True); time.sleep(120)"
    )
    parent = f"import subprocess, sys, time; subprocess.Popen([sys.executable, '-c', {grandchild!r}]); time.sleep(120)"
    child = subprocess.Popen([sys.executable, "-c", parent], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        pid = int(child.stdout.readline())
        assert _alive(pid)
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
        assert _wait_gone(pid, 30), "the watching process outlived its killed parent"
    finally:
        if child.poll() is None:
            child.kill()


def _api_children(pid: int) -> list[int]:
    """Pids of the temporary API servers `newslake run` process `pid` started."""
    found = []
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            stat = (d / "stat").read_text()
            cmdline = (d / "cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid and "serve_temporary_api" in cmdline:
            found.append(int(d.name))
    return found


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc")
def test_temporary_api_dies_with_a_killed_run(tmp_path):
    """A real `newslake run` killed with SIGKILL (the run process alone, not its group) once its
    temporary API answers leaves no API server behind (with NEWSLAKE_API_LINGER_S=0; a lingering
    API's end is tested in tests/test_api_reuse.py)."""
    import signal
    import time
    import urllib.request

    env = {k: v for k, v in os.environ.items() if k not in ("PREFECT_API_URL", "NEWSLAKE_PREFECT_API")}
    env["PREFECT_HOME"] = str(tmp_path / "home")
    env["NEWSLAKE_API_LINGER_S"] = "0"  # no lingering for the next run: the API stops with its run
    cmd = [sys.executable, "-m", "flows.cli", "run", "--input", str(SEEDS), "--warehouse", str(tmp_path / "wh"), "--quiet"]
    run = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    servers: list[int] = []
    try:
        deadline = time.monotonic() + 300
        answered = False
        while time.monotonic() < deadline and run.poll() is None and not answered:
            servers = servers or _api_children(run.pid)
            if servers:
                port = Path(f"/proc/{servers[0]}/cmdline").read_bytes().decode().split("serve_temporary_api(")[1].split(",")[0]
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=2) as r:
                        answered = r.status == 200
                except OSError:
                    pass
            time.sleep(0.1)
        assert answered, "the run's temporary API never answered"
        os.kill(run.pid, signal.SIGKILL)
        assert run.wait(timeout=30) == -signal.SIGKILL  # killed mid-run, not finished on its own
        assert _wait_gone(servers[0], 60), "the temporary API outlived its killed run"
    finally:
        if run.poll() is None:
            run.kill()
        for pid in servers:
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)


def test_a_temporary_api_stopped_before_it_answered_is_killed_not_awaited(tmp_path, monkeypatch):
    """A command that fails before the API answered (a stale warehouse schema) stops the booting
    server with SIGKILL: SIGTERM would wait for the end of its imports."""
    import signal

    from flows.deploy import TemporaryApi

    monkeypatch.setenv("PREFECT_HOME", str(tmp_path / "home"))
    api = TemporaryApi().start()
    proc = api.proc
    api.stop()
    assert proc.returncode == -signal.SIGKILL and api.proc is None

"""`newslake serve` stops cleanly on SIGTERM and on SIGINT (Ctrl-C): exit 0, no "coroutine
'Runner.astop' was never awaited", no traceback. Needs a real local Prefect server (marked `server`)."""

from __future__ import annotations

import signal
import subprocess
import time

import pytest
from test_server import BIN, _stop, prefect_server  # noqa: F401 - the fixture

pytestmark = pytest.mark.server


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_serve_stops_cleanly(prefect_server, tmp_path, sig):  # noqa: F811
    env = prefect_server
    log_path = tmp_path / "serve.log"
    with open(log_path, "w") as log:
        serve = subprocess.Popen(
            [str(BIN / "newslake"), "serve", "--interval", "3600", "--warehouse", str(tmp_path / "wh")],
            env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True, cwd=tmp_path,
        )
        try:
            deadline = time.monotonic() + 120
            while True:
                out = subprocess.run([str(BIN / "prefect"), "deployment", "inspect", "news-pipeline/newslake"], env=env, capture_output=True, text=True)
                if out.returncode == 0:
                    break
                assert time.monotonic() < deadline and serve.poll() is None, log_path.read_text()[-3000:]
                time.sleep(1)
            time.sleep(2)  # the runner's polling loop is running
            serve.send_signal(sig)
            code = serve.wait(timeout=60)
        finally:
            _stop(serve)
    text = log_path.read_text()
    assert code == 0, text[-3000:]
    assert "was never awaited" not in text and "Traceback" not in text, text[-3000:]
    assert "newslake serve: stopped" in text

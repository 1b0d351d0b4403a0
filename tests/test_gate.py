"""The quality gate's own logic: a floor that does not hold, or a metric not reported, fails it."""

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

import gate  # noqa: E402


def test_check_floors_and_ceilings():
    floors = {"a/F1": {"min": 0.9}, "a/leak": {"max": 0.02}, "b/F1": {"min": 0.5}}
    assert gate.check({"a/F1": 0.91, "a/leak": 0.01, "b/F1": 0.5}, floors) == []
    failures = gate.check({"a/F1": 0.89, "a/leak": 0.03}, floors)
    assert [f.split(":")[0] for f in failures] == ["a/F1", "a/leak", "b/F1"]
    assert "not reported" in failures[2]


def test_gate_runs_a_section_and_fails_below_floor(tmp_path):
    script = tmp_path / "fake_eval.py"
    script.write_text("import json, sys\njson.dump({'x': 0.5}, open(sys.argv[sys.argv.index('--json') + 1], 'w'))\n")
    data = tmp_path / "data"
    data.mkdir()
    floors = tmp_path / "floors.json"
    spec = {"command": [str(script), "--data", "{data}", "--json", "{out}"]}
    floors.write_text(json.dumps({"ok": {**spec, "floors": {"x": {"min": 0.4}}}, "low": {**spec, "floors": {"x": {"min": 0.6}}}}))
    assert gate.main(["--data", str(data), "--floors", str(floors), "--only", "ok"]) == 0
    assert gate.main(["--data", str(data), "--floors", str(floors), "--only", "low"]) == 1
    assert gate.main(["--data", str(data), "--floors", str(floors)]) == 1
    assert gate.main(["--data", str(tmp_path / "missing"), "--floors", str(floors)]) == 2


def test_floors_file_is_well_formed():
    sections = json.loads((Path(gate.__file__).parent / "floors.json").read_text())
    for name, spec in sections.items():
        if name.startswith("_"):
            continue
        assert isinstance(spec["command"], list), name
        for metric, bound in spec["floors"].items():
            assert set(bound) <= {"min", "max"} and bound, (name, metric)
        if spec["floors"]:
            assert spec["command"], f"{name}: floors without a command to check them"

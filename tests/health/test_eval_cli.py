"""`nigrani eval health` on a short set: it makes the clips, judges them and prints the table."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import invoke


def test_eval_health_prints_recall_false_alarms_and_cost(vtest: Path, tmp_path: Path) -> None:
    args = ["eval", "health", "--vtest", str(vtest), "--cache", str(tmp_path / "clips")]
    args += ["--camera", "bicycle", "--stride", "3", "--healthy-stride", "2"]
    for fault in ("healthy", "black"):
        args += ["--fault", fault]
    result = invoke({"COLUMNS": "200"}, *args)
    assert result.exit_code == 0, result.output
    assert "picture checks on scripted faults" in result.output
    lines = {line.split("│")[1].strip(): line for line in result.output.splitlines() if "│" in line}
    assert "100.0 %" in lines["black"] and "≥ 95 %" in lines["black"]
    assert "moved" not in lines  # only the faults asked for
    assert "False verdicts: 0" in result.output and "false alarms (3 in a row): 0" in result.output
    assert "judge()" in result.output and "decoding a probe's 2 s" in result.output
    assert len(list((tmp_path / "clips").glob("bicycle-*.mp4"))) == 2  # healthy, black


def test_eval_health_refuses_unknown_cameras_and_missing_footage(tmp_path: Path) -> None:
    cache = str(tmp_path / "clips")
    unknown = invoke({}, "eval", "health", "--camera", "nowhere", "--cache", cache)
    assert unknown.exit_code == 2 and "unknown camera" in unknown.output
    missing = invoke({}, "eval", "health", "--bikes", str(tmp_path / "none.mp4"), "--cache", cache)
    assert missing.exit_code == 2 and "Footage not found" in missing.output
    assert not (tmp_path / "clips").exists()

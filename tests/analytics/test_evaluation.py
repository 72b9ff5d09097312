"""`nigrani eval analytics`: the scoring, the worker's pipeline run offline on a short
scripted clip of real footage, the command on a tiny table, and the rules page showing the
precision it recorded."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from nigrani.accounts.roles import Role
from nigrani.analytics.evaluation import measured
from nigrani.analytics.evaluation.pipeline import START, Run, run_clip
from nigrani.analytics.evaluation.scoring import Interval, match, total
from nigrani.analytics.evaluation.video import (
    CountLabels,
    CountReport,
    CountRow,
    camera_rules,
    clip_path,
    count_rows,
    events_of,
    load_scenarios,
    score_run,
)
from nigrani.analytics.feed import next_due
from nigrani.analytics.nanodet import NanoDet
from nigrani.analytics.observe import Observation, PersonSeen
from nigrani.analytics.rules import RuleEvent
from tests.accounts.factories import login, make_staff, make_tree
from tests.conftest import command_env, invoke

BLACK_FROM_3S = "drawbox=0:0:iw:ih:color=black:t=fill:enable='gte(t,3)'"


def _env(tmp_path: Path) -> dict[str, str]:
    return command_env(f"sqlite:///{tmp_path}/unused.db", tmp_path / "var")


def _table(tmp_path: Path) -> Path:
    """Seven seconds of vtest: nobody on the lawn, the picture black from 3 s."""
    table = {
        "zones": {
            "grass": {
                "kind": "desk",
                "points": [[0.05, 0.62], [0.45, 0.62], [0.45, 0.85], [0.05, 0.85]],
            }
        },
        "clips": {"short-black": {"start_s": 0.0, "duration_s": 7.0, "vf": BLACK_FROM_3S}},
        "scenarios": [
            {
                "name": "lawn-then-black",
                "clip": "short-black",
                "zones": ["grass"],
                "rules": {
                    "desk_unattended": {"for_s": 3, "grace_s": 1},
                    "camera_tamper": {"for_s": 1, "grace_s": 1},
                },
                "probe": {"train_s": 1, "probe_s": 1},
                "labels": {"desk_unattended": [[0, None]], "camera_tamper": [[3, None]]},
            }
        ],
        "not_measured": {"phone_in_hand": "no footage"},
        "counts": {"clip": "short-black", "zone": "grass", "frames": [[3.0, 5, 0]]},
    }
    path = tmp_path / "table.json"
    path.write_text(json.dumps(table))
    return path


def test_match_pairs_each_label_with_one_event_and_counts_the_rest() -> None:
    labels = [Interval(0, 10), Interval(20, None)]
    found = [Interval(2, 4), Interval(5, 8), Interval(30, 31), Interval(12, 15)]
    m = match(found, labels, clip_s=40)
    assert (m.true_positives, m.false_positives, m.misses) == (2, 2, 0)
    assert match([], labels, clip_s=40).misses == 2
    assert match([Interval(11, 19)], labels, clip_s=40).false_positives == 1
    assert Interval(39, None).overlaps(Interval(20, None), clip_s=40)
    score = total("crowd_waiting", [m, match([], [], clip_s=5)])
    assert (score.clips, score.precision, score.recall) == (2, 0.5, 1.0)
    assert total("long_wait", [match([], [], clip_s=5)]).precision is None


def test_frames_are_kept_by_their_timestamps_at_the_rate_asked() -> None:
    due, kept = 0.0, []
    for i in range(25):  # 10 fps for 2.5 s
        after = next_due(i / 10, due, 2.0)
        if after is not None:
            due = after
            kept.append(i / 10)
    assert kept == [0.0, 0.5, 1.0, 1.5, 2.0]
    assert next_due(7.0, 0.5, 2.0) == 7.25  # after a stall: no burst to catch up


def test_person_counts_compare_the_nearest_observation_with_the_label() -> None:
    def obs(t: float, zones: list[tuple[str, ...]]) -> Observation:
        people = tuple(PersonSeen(i, (0, 0, 1, 1), z) for i, z in enumerate(zones))
        return Observation(camera_id=1, at=START + timedelta(seconds=t), people=people)

    run = Run(clip_s=10, observations=[obs(2.5, [("q",), ()]), obs(3.0, [("q",), (), ()])])
    rows = count_rows(run, CountLabels("c", "q", ((3.0, 4, 2), (9.0, 1, 0))))
    assert rows == [CountRow(3.0, 4, 3, 2, 1)]  # 9.0 has no observation near it
    report = CountReport("c", rows)
    assert (report.mae, report.queue_worst, report.queue_within) == (1.0, 1, 1)


def test_the_pipeline_on_a_scripted_clip_raises_what_was_labelled(
    vtest: Path, tmp_path: Path
) -> None:
    table = load_scenarios(_table(tmp_path))
    scenario = table.scenarios[0]
    clip = clip_path(table.clips[scenario.clip], vtest, tmp_path / "clips")
    run = run_clip(
        clip,
        zones=scenario.zones,
        rules=camera_rules(scenario),
        detector=NanoDet(threads=1),
        probe=scenario.probe,
    )
    assert run.frames == 14 and run.detected >= 4  # 2 fps; moved or keepalive
    assert [r for _, r in run.reasons][-2:] == ["black", "black"]
    desk, tamper = events_of(run, "desk_unattended"), events_of(run, "camera_tamper")
    assert len(desk) == 1 and desk[0].start_s == 0.0  # nobody on the lawn from the start
    assert len(tamper) == 1 and 3.0 <= tamper[0].start_s <= 6.0
    assert not events_of(run, "crowd_waiting")  # off in this scenario
    rows = {r.rule: r.match for r in score_run(scenario, run)}
    assert all((m.true_positives, m.false_positives, m.misses) == (1, 0, 0) for m in rows.values())


def test_eval_analytics_prints_the_rule_table_and_records_the_figures(
    vtest: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    record = tmp_path / "measured.json"
    monkeypatch.setattr(measured, "MEASURED", record)
    out = tmp_path / "results.json"
    args = ["eval", "analytics", "--footage", str(vtest), "--cache", str(tmp_path / "clips")]
    args += ["--scenarios", str(_table(tmp_path)), "--no-sound", "--no-counts"]
    args += ["--json", str(out), "--record", "--check"]
    env = {"COLUMNS": "200", "NIGRANI_ANALYTICS_DETECTOR": "none", **_env(tmp_path)}
    result = invoke(env, *args)
    assert result.exit_code == 0, result.output
    lines = {line.split("│")[1].strip(): line for line in result.output.splitlines() if "│" in line}
    tamper = [c.strip() for c in lines["camera_tamper"].split("│")[2:8]]
    assert tamper == ["1", "1", "0", "0", "1.00", "1.00"]  # clips TP FP misses P R
    assert "not measured" in lines["phone_in_hand"]
    assert "lawn-then-black" in result.output
    results = json.loads(out.read_text())
    assert results["rules"]["desk_unattended"]["precision"] == 1.0
    kept = json.loads(record.read_text())
    assert kept["rules"]["camera_tamper"]["recall"] == 1.0
    assert "phone_in_hand" in kept["not_measured"]
    assert measured.measured_precision("camera_tamper") == 1.0
    assert measured.measured_precision("phone_in_hand") is None


def test_eval_analytics_refuses_an_unknown_scenario(tmp_path: Path) -> None:
    args = ["eval", "analytics", "--scenario", "nowhere", "--cache", str(tmp_path)]
    result = invoke(_env(tmp_path), *args)
    assert result.exit_code == 2 and "unknown scenario" in result.output


def test_the_rules_page_shows_a_rules_measured_precision(
    client: TestClient, db: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    record = tmp_path / "measured.json"
    figures: dict[str, Any] = {"rules": {"crowd_waiting": {"precision": 0.75, "recall": 0.5}}}
    no_phones = {"precision": None, "recall": None, "false_positives": 0}
    record.write_text(json.dumps(figures))
    monkeypatch.setattr(measured, "MEASURED", record)
    make_tree(db)
    user = make_staff(db, Role.SHO, "S1")
    db.commit()
    assert login(client, user.username or "").status_code == 303
    text = client.get("/analytics/rules?lang=en").text
    crowd = text.split('id="rule-crowd_waiting"')[1].split("</fieldset>")[0]
    assert 'id="precision-crowd_waiting"' in crowd and "(nigrani eval analytics): 75 %" in crowd
    phone = text.split('id="rule-phone_in_hand"')[1].split("</fieldset>")[0]
    assert "not measured" in phone and "Measured precision" not in phone
    # scored on footage without phones only: its false alarms are what is shown
    figures["rules"]["phone_in_hand"] = no_phones
    record = tmp_path / "measured-2.json"  # a new file: the figures are cached by mtime
    record.write_text(json.dumps(figures))
    monkeypatch.setattr(measured, "MEASURED", record)
    text = client.get("/analytics/rules?lang=en").text
    phone = text.split('id="rule-phone_in_hand"')[1].split("</fieldset>")[0]
    assert "without it (nigrani eval analytics): 0." in phone and "It is off unless" in phone
    figures["rules"]["phone_in_hand"] = {**no_phones, "precision": 0.0, "false_positives": 3}
    record = tmp_path / "measured-3.json"
    record.write_text(json.dumps(figures))
    monkeypatch.setattr(measured, "MEASURED", record)
    phone = client.get("/analytics/rules?lang=en").text.split('id="rule-phone_in_hand"')[1]
    assert "without it (nigrani eval analytics): 3." in phone.split("</fieldset>")[0]
    assert measured.measured_false_alarms("crowd_waiting") is None  # it has a recall


def test_an_event_span_is_read_in_clip_seconds() -> None:
    event = RuleEvent(uuid=uuid4(), camera_id=1, kind="camera_tamper",
                      started_at=START + timedelta(seconds=6),
                      ended_at=START + timedelta(seconds=9.5))  # fmt: skip
    run = Run(clip_s=10, events=[event])
    assert events_of(run, "camera_tamper") == (Interval(6.0, 9.5),)

"""The rules over a fixed timeline: each starts at its threshold and not before, ends after
its grace, keeps its peak and its uuid, and is split by neither a flicker nor mended over a gap."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

import pytest

from nigrani.analytics.observe import Newcomer, Observation, PersonSeen, Sound
from nigrani.analytics.rules import (
    CameraRules,
    EventChange,
    RuleConfigError,
    RuleEngine,
    Rules,
    RuleSet,
    on_duty,
)

T0 = datetime(2026, 12, 3, 6, 0, tzinfo=UTC)  # 11:30 in Kanpur: on duty
CAM = 7
ZONES = {"hall": "waiting", "bench": "waiting", "duty": "staff", "door": "other"}
DESK = {"desk": "desk", "door": "other"}


def at(s: float) -> datetime:
    return T0 + timedelta(seconds=s)


def person(tid: int, *zones: str, dwell: float = 0.0, phone: bool = False) -> PersonSeen:
    return PersonSeen(tid, (0, 0, 10, 10), zones, dict.fromkeys(zones, dwell), phone)


def crowd(n: int, zone: str = "hall", first: int = 1) -> tuple[PersonSeen, ...]:
    return tuple(person(first + i, zone) for i in range(n))


def engine(
    station: dict[str, dict[str, object]] | None = None,
    zones: dict[str, str] = ZONES,
    **kw: float,
) -> RuleEngine:
    rules = RuleSet.build(station=station or {})
    return RuleEngine({CAM: CameraRules(rules=rules, zone_kinds=zones)}, **kw)  # type: ignore[arg-type]


def feed(eng: RuleEngine, frames: Iterable[Observation]) -> list[EventChange]:
    return [c for obs in frames for c in eng.feed(obs)]


def obs(s: float, people: tuple[PersonSeen, ...] = (), **kw: object) -> Observation:
    return Observation(CAM, at(s), people, **kw)  # type: ignore[arg-type]


def kinds(changes: list[EventChange]) -> list[tuple[str, str, float]]:
    return [(c.change, c.event.kind, (c.at - T0).total_seconds()) for c in changes]


def test_crowd_waiting_starts_at_its_threshold_and_not_before() -> None:
    eng = engine()  # defaults: 5 people for 600 s
    early = feed(eng, (obs(s, crowd(5) + crowd(3, "door", 20)) for s in range(0, 600, 5)))
    assert early == []
    (start,) = eng.feed(obs(600, crowd(5)))
    assert start.change == "start" and start.at == at(600)
    assert start.event.started_at == at(0) and start.event.ended_at is None
    assert start.event.peak == {"zone": "hall", "max_people": 5}


def test_crowd_waiting_counts_the_newcomers_not_yet_confirmed() -> None:
    eng = engine(station={"crowd_waiting": {"min_people": 5, "for_s": 10}})
    arriving = (Newcomer((0, 0, 10, 10), ("hall",)), Newcomer((20, 0, 30, 10), ("door",)))
    frames = [obs(s, crowd(4), newcomers=arriving) for s in range(0, 15, 5)]
    (start,) = feed(eng, frames)  # 4 confirmed + 1 arriving in the hall; the door's apart
    assert start.event.kind == "crowd_waiting" and start.event.peak["max_people"] == 5


def test_crowd_waiting_one_short_never_starts_and_each_zone_counts_alone() -> None:
    eng = engine()
    frames = (obs(s, crowd(4) + crowd(4, "bench", 10)) for s in range(0, 1200, 10))
    assert feed(eng, frames) == []


def test_crowd_waiting_ends_after_the_grace_at_the_moment_it_was_seen_over() -> None:
    eng = engine({"crowd_waiting": {"for_s": 60, "grace_s": 30}})
    feed(eng, (obs(s, crowd(6)) for s in range(0, 100, 5)))
    assert feed(eng, (obs(s, crowd(2)) for s in range(100, 130, 5))) == []
    (end,) = eng.feed(obs(130, crowd(2)))
    assert end.change == "end" and end.event.ended_at == at(100)
    assert end.event.started_at == at(0)


def test_a_flicker_splits_nothing_and_the_uuid_and_peak_hold() -> None:
    eng = engine({"crowd_waiting": {"for_s": 60, "grace_s": 10}}, update_every_s=0)
    counts = [5] * 13 + [0] + [7] * 3 + [1] + [6] * 5 + [0] * 3
    changes = feed(eng, (obs(5 * i, crowd(n)) for i, n in enumerate(counts)))
    assert kinds(changes) == [
        ("start", "crowd_waiting", 60),
        ("update", "crowd_waiting", 70),
        ("end", "crowd_waiting", 125),
    ]
    assert len({c.event.uuid for c in changes}) == 1
    assert changes[1].event.peak == {"zone": "hall", "max_people": 7}
    assert changes[-1].event.peak == {"zone": "hall", "max_people": 7}
    assert changes[-1].event.ended_at == at(115)


def test_a_flicker_before_the_threshold_does_not_restart_the_count() -> None:
    eng = engine({"crowd_waiting": {"for_s": 60, "grace_s": 10}})
    counts = [5] * 6 + [0] + [5] * 6
    changes = feed(eng, (obs(5 * i, crowd(n)) for i, n in enumerate(counts)))
    assert kinds(changes) == [("start", "crowd_waiting", 60)]


def test_updates_are_posted_at_most_every_update_every_s() -> None:
    eng = engine({"crowd_waiting": {"for_s": 10}}, update_every_s=30)
    changes = feed(eng, (obs(s, crowd(5 + s // 5)) for s in range(0, 60, 5)))
    assert kinds(changes) == [("start", "crowd_waiting", 10), ("update", "crowd_waiting", 40)]
    assert changes[-1].event.peak["max_people"] == 13


def test_long_wait_starts_when_a_dwell_crosses_t_and_lists_each_person() -> None:
    eng = engine({"long_wait": {"for_s": 1200}})
    frames = [
        obs(s, (person(1, "hall", dwell=1190 + s), person(2, "hall", dwell=s)))
        for s in range(0, 20, 5)
    ]
    changes = feed(eng, frames)
    assert kinds(changes) == [("start", "long_wait", 10)]
    assert changes[0].event.started_at == at(10)
    changes = feed(eng, [obs(20, (person(2, "hall", dwell=20),))])
    changes += feed(eng, [obs(60, (person(2, "hall", dwell=60),))])
    (end,) = changes
    assert end.event.ended_at == at(20)
    assert end.event.peak == {
        "zone": "hall",
        "max_dwell_s": 1205.0,
        "people": [{"track_id": 1, "dwell_s": 1205.0}],
    }


def test_long_wait_peak_keeps_every_persons_longest_dwell() -> None:
    eng = engine({"long_wait": {"for_s": 60}}, update_every_s=0)
    feed(eng, [obs(0, (person(1, "hall", dwell=70),))])
    feed(eng, [obs(5, (person(1, "hall", dwell=75), person(2, "hall", dwell=61)))])
    feed(eng, [obs(10, (person(2, "hall", dwell=66),))])
    (end,) = feed(eng, [obs(60)])
    assert end.event.peak["people"] == [
        {"track_id": 1, "dwell_s": 75.0},
        {"track_id": 2, "dwell_s": 66.0},
    ]
    assert end.event.peak["max_dwell_s"] == 75.0


def test_desk_unattended_in_duty_hours_only() -> None:
    eng = engine(zones=DESK)  # 900 s, 08:00-20:00 IST
    staffed = feed(eng, (obs(s, (person(1, "desk"),)) for s in range(0, 1000, 10)))
    assert staffed == []
    changes = feed(eng, (obs(s) for s in range(1000, 1910, 10)))
    assert kinds(changes) == [("start", "desk_unattended", 1900)]
    assert changes[0].event.started_at == at(1000)
    night = T0.replace(hour=16)  # 21:30 IST
    eng = engine(zones=DESK)
    frames = (Observation(CAM, night + timedelta(seconds=s)) for s in range(0, 2000, 10))
    assert feed(eng, frames) == []


NIGHT: dict[str, dict[str, object]] = {
    "desk_unattended": {"duty_start": "20:00", "duty_end": "08:00", "for_s": 600}
}


def test_desk_unattended_duty_across_midnight_in_ist() -> None:
    eng = engine(NIGHT, zones=DESK)
    midnight_ist = datetime(2026, 12, 3, 18, 30, tzinfo=UTC)
    start = midnight_ist - timedelta(minutes=20)
    frames = [Observation(CAM, start + timedelta(seconds=s)) for s in range(0, 2400, 30)]
    changes = feed(eng, frames)
    assert [c.change for c in changes] == ["start"]  # 23:40 to 00:20 IST is one event
    assert changes[0].event.started_at == start
    morning = datetime(2026, 12, 4, 2, 30, tzinfo=UTC)  # 08:00 IST the next day
    eng = engine(NIGHT, zones=DESK)
    frames = [Observation(CAM, morning + timedelta(seconds=s)) for s in range(-900, 60, 30)]
    changes = feed(eng, frames)
    assert [c.change for c in changes] == ["start", "end"]
    assert changes[1].event.ended_at == morning


def test_on_duty_bounds() -> None:
    rules = Rules().patched({"desk_unattended": {"duty_start": "22:00", "duty_end": "06:00"}})
    cfg = rules.desk_unattended
    ist = timedelta(hours=5, minutes=30)
    assert on_duty(datetime(2026, 12, 3, 22, 0, tzinfo=UTC) - ist, cfg)
    assert on_duty(datetime(2026, 12, 3, 5, 59, tzinfo=UTC) - ist, cfg)
    assert not on_duty(datetime(2026, 12, 3, 6, 0, tzinfo=UTC) - ist, cfg)
    assert not on_duty(datetime(2026, 12, 3, 21, 59, tzinfo=UTC) - ist, cfg)
    always = Rules().patched({"desk_unattended": {"duty_start": "00:00", "duty_end": "00:00"}})
    assert on_duty(T0.replace(hour=20), always.desk_unattended)


def test_phone_in_hand_is_off_by_default() -> None:
    assert Rules().phone_in_hand.enabled is False
    eng = engine()
    frames = (obs(s, (person(1, "duty", phone=True),)) for s in range(0, 600, 5))
    assert feed(eng, frames) == []


def test_phone_in_hand_when_switched_on_is_per_person_in_staff_zones() -> None:
    eng = engine({"phone_in_hand": {"enabled": True}})  # 60 s, grace 5 s
    people = (person(1, "duty", phone=True), person(2, "hall", phone=True), person(3, "duty"))
    changes = feed(eng, (obs(s, people) for s in range(0, 65, 5)))
    assert kinds(changes) == [("start", "phone_in_hand", 60)]
    assert changes[0].event.peak == {"zone": "duty", "track_id": 1}
    # two people with a phone for 40 s each is not one person for 60 s
    eng = engine({"phone_in_hand": {"enabled": True}})
    first = [obs(s, (person(1, "duty", phone=True),)) for s in range(0, 40, 2)]
    second = [obs(s, (person(4, "duty", phone=True),)) for s in range(40, 80, 2)]
    assert feed(eng, first + second) == []


def voice(
    s: float, level: float, baseline: float | None = -40.0, speech: bool = True
) -> Observation:
    return obs(s, sound=Sound(speech=speech, level_db=level, baseline_db=baseline))


def test_raised_voice_needs_speech_a_baseline_and_the_margin_for_t() -> None:
    quiet = [voice(i * 0.5, -28.1) for i in range(20)]  # 11.9 dB over
    unlearned = [voice(10 + i * 0.5, -10.0, baseline=None) for i in range(20)]
    noise = [voice(20 + i * 0.5, -10.0, speech=False) for i in range(20)]
    assert feed(engine(), quiet + unlearned + noise) == []
    eng = engine()
    changes = feed(eng, [voice(i * 0.5, -28.0 + i) for i in range(7)])
    assert kinds(changes) == [("start", "raised_voice", 3)]
    assert changes[0].event.peak == {"max_over_db": 18.0, "max_level_db": -22.0}


def test_raised_voice_keeps_through_frames_without_sound_and_ends_after_grace() -> None:
    eng = engine()  # grace 2 s
    loud = [voice(i * 0.5, -20.0) for i in range(8)]
    silent_video = [obs(4 + i * 0.5) for i in range(10)]
    assert kinds(feed(eng, loud + silent_video)) == [("start", "raised_voice", 3)]
    calm = [voice(10 + i * 0.5, -35.0) for i in range(5)]
    changes = feed(eng, calm)
    assert kinds(changes) == [("end", "raised_voice", 12)]
    assert changes[0].event.ended_at == at(10)


def test_camera_tamper_after_t_with_every_reason_seen() -> None:
    eng = engine()  # 60 s, grace 10 s
    frames = [obs(s, picture_reason="covered" if s < 40 else "moved") for s in range(0, 90, 5)]
    frames += [obs(s) for s in range(90, 105, 5)]
    changes = feed(eng, frames)
    assert kinds(changes) == [("start", "camera_tamper", 60), ("end", "camera_tamper", 100)]
    assert changes[-1].event.peak == {"reasons": ["covered", "moved"]}
    assert changes[-1].event.ended_at == at(90)


def test_a_gap_in_the_stream_ends_open_events_at_the_last_moment_seen() -> None:
    eng = engine({"crowd_waiting": {"for_s": 10}}, max_gap_s=30)
    feed(eng, (obs(s, crowd(5)) for s in range(0, 50, 5)))
    (end,) = eng.feed(obs(90, crowd(5)))
    assert end.change == "end" and end.event.ended_at == at(45)
    # after the gap the count starts again from the first frame back
    changes = feed(eng, (obs(s, crowd(5)) for s in range(95, 101, 5)))
    assert kinds(changes) == [("start", "crowd_waiting", 100)]
    assert changes[0].event.started_at == at(90) and changes[0].event.uuid != end.event.uuid


def test_expire_ends_the_events_of_a_camera_gone_quiet() -> None:
    eng = engine({"crowd_waiting": {"for_s": 10}}, max_gap_s=30)
    feed(eng, (obs(s, crowd(5)) for s in range(0, 20, 5)))
    assert eng.expire(at(45)) == []
    (end,) = eng.expire(at(46))
    assert end.event.ended_at == at(15)
    assert eng.expire(at(100)) == []


def test_late_or_repeated_observations_are_ignored() -> None:
    eng = engine({"crowd_waiting": {"for_s": 10, "grace_s": 0}})
    feed(eng, (obs(s, crowd(5)) for s in range(0, 15, 5)))
    assert eng.feed(obs(5)) == [] and eng.feed(obs(10)) == []
    (end,) = eng.feed(obs(15))
    assert end.event.ended_at == at(15)


def test_zone_overrides_lie_over_the_station_over_the_defaults() -> None:
    rules = RuleSet.build(
        station={"crowd_waiting": {"min_people": 3}, "raised_voice": {"over_db": 20}},
        zones={"bench": {"crowd_waiting": {"for_s": 30}}},
    )
    assert rules.for_zone("bench").crowd_waiting.model_dump() == {
        "enabled": True,
        "min_people": 3,
        "for_s": 30.0,
        "grace_s": 30.0,
    }
    assert rules.for_zone("hall").crowd_waiting.for_s == 600
    assert rules.for_zone(None).raised_voice.over_db == 20
    eng = RuleEngine({CAM: CameraRules(rules=rules, zone_kinds=ZONES)})  # type: ignore[arg-type]
    frames = (obs(s, crowd(3, "hall") + crowd(3, "bench", 10)) for s in range(0, 35, 5))
    changes = feed(eng, frames)
    assert [(c.change, c.event.peak["zone"]) for c in changes] == [("start", "bench")]


@pytest.mark.parametrize(
    ("patch", "message"),
    [
        ({"crowd_waiting": {"min_people": 0}}, "crowd_waiting.min_people: must be at least 1"),
        ({"crowd_waiting": {"min_people": 101}}, "crowd_waiting.min_people: must be at most 100"),
        ({"long_wait": {"for_s": 0.5}}, "long_wait.for_s: must be at least"),
        ({"camera_tamper": {"for_s": 8 * 3600 + 1}}, "camera_tamper.for_s: must be at most 28800"),
        ({"raised_voice": {"over_db": 2}}, "raised_voice.over_db"),
        ({"raised_voice": {"over_db": 41}}, "raised_voice.over_db"),
        ({"desk_unattended": {"duty_start": "24:00"}}, "duty_start: is not in the expected"),
        ({"desk_unattended": {"duty_end": "8:00"}}, "desk_unattended.duty_end"),
        ({"desk_unattended": {"timezone": "Mars/Base"}}, "unknown time zone 'Mars/Base'"),
        ({"crowd_waiting": {"people": 5}}, "crowd_waiting.people: is not a field of this form"),
        ({"loitering": {"for_s": 5}}, "unknown rule 'loitering'"),
    ],
)
def test_bad_settings_are_refused_saying_where_and_why(
    patch: dict[str, dict[str, object]], message: str
) -> None:
    with pytest.raises(RuleConfigError, match=r"^station: ") as caught:
        RuleSet.build(station=patch)
    assert message in str(caught.value)


def test_a_zone_override_is_checked_and_camera_wide_rules_refuse_one() -> None:
    with pytest.raises(RuleConfigError, match=r"^zone 'hall': crowd_waiting.for_s"):
        RuleSet.build(zones={"hall": {"crowd_waiting": {"for_s": 0}}})
    with pytest.raises(RuleConfigError, match="raised_voice is judged over the whole camera"):
        RuleSet.build(zones={"hall": {"raised_voice": {"over_db": 10}}})

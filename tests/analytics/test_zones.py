"""People in zones: placed by their feet, in pictures of any size; dwell is continuous and
forgives a short step out; a phone mostly inside a person's box is in that person's hand;
each frame becomes the Observation of its confirmed people."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from nigrani.analytics.detector import Detection
from nigrani.analytics.observe import Sound
from nigrani.analytics.tracking import Tracker, TrackerConfig
from nigrani.analytics.zones import Dwell, Scene, ZoneMap, holding_phones
from nigrani.stations.schemas import Zone

START = datetime(2026, 3, 1, 6, 30, tzinfo=UTC)
SIZE = (1000, 500)
# the left half of the picture's lower half; a desk on the right
BENCH = Zone(name="Bench", points=[(0, 0.5), (0.5, 0.5), (0.5, 1), (0, 1)], kind="waiting")
DESK = Zone(name="Desk", points=[(0.6, 0), (1, 0), (1, 1), (0.6, 1)], kind="desk")


def person(x: float, y2: float, score: float = 0.9) -> Detection:
    return Detection("person", score, (x, y2 - 150, x + 60, y2))


def phone(x: float, y: float, w: float = 20, h: float = 20) -> Detection:
    return Detection("cell_phone", 0.6, (x, y, x + w, y + h))


def scene() -> Scene:
    return Scene(camera_id=7, zones=[BENCH, DESK], tracker=Tracker(TrackerConfig(min_hits=1)))


def test_a_person_is_where_their_feet_are() -> None:
    zones = ZoneMap([BENCH, DESK])
    # head in the bench's half, feet below it: in; head above, feet above: out
    assert zones.holding((100, 200, 160, 400), SIZE) == ("Bench",)
    assert zones.holding((100, 50, 160, 240), SIZE) == ()
    assert zones.holding((560, 100, 640, 300), SIZE) == ("Desk",)  # feet at x 0.6: the edge
    # the same place in a picture twice as large
    assert zones.holding((200, 400, 320, 800), (2000, 1000)) == ("Bench",)


def test_odd_zones_are_still_areas() -> None:
    bowtie = Zone(name="X", points=[(0, 0), (1, 1), (1, 0), (0, 1)])  # drawn crossing itself
    split = [
        Zone(name="Q", points=[(0, 0), (0.2, 0), (0.2, 1)]),
        BENCH.model_copy(update={"name": "Q"}),
    ]
    assert ZoneMap([bowtie]).holding((40, 0, 60, 250), SIZE) == ("X",)
    assert ZoneMap(split).holding((100, 0, 160, 450), SIZE) == ("Q",)
    assert ZoneMap([]).holding((0, 0, 10, 10), SIZE) == ()


def test_old_zones_have_the_kind_other_and_kinds_are_known() -> None:
    old = Zone.model_validate({"name": "प्रतीक्षा", "points": [(0, 0), (1, 0), (1, 1)]})
    assert old.kind == "other"  # never guessed from the name
    assert ZoneMap([BENCH, DESK, old]).kinds == {
        "Bench": "waiting",
        "Desk": "desk",
        "प्रतीक्षा": "other",
    }
    with pytest.raises(ValueError):
        Zone.model_validate({"name": "Q", "points": [(0, 0), (1, 0), (1, 1)], "kind": "queue"})


def test_dwell_is_continuous_and_forgives_a_short_step_out() -> None:
    dwell = Dwell(grace_s=3.0)

    def frame(at: float, zones: list[str], track: int = 1) -> dict[str, float]:
        found = dwell.update(track, zones, at)
        dwell.close_frame(at)
        return found

    assert frame(100.0, ["Bench"]) == {"Bench": 0.0}
    assert frame(110.0, ["Bench"]) == {"Bench": 10.0}  # no frames between: no absence
    assert frame(110.5, []) == {}  # stepped out for 2.5 s of frames
    assert frame(112.5, []) == {}
    assert frame(113.0, ["Bench"]) == {"Bench": 13.0}
    for at in (113.5, 115.0, 116.5):  # out 3.5 s
        frame(at, [])
    assert frame(117.0, ["Bench"]) == {"Bench": 0.0}
    assert frame(117.0, ["Bench"], track=2) == {"Bench": 0.0}  # per track
    assert frame(118.0, ["Bench", "Desk"]) == {"Bench": 1.0, "Desk": 0.0}


def test_a_phone_is_in_the_hand_of_the_person_holding_most_of_it() -> None:
    people = [(100.0, 100.0, 160.0, 250.0), (150.0, 100.0, 210.0, 250.0)]
    assert holding_phones(people, [phone(120, 150)]) == [True, False]
    assert holding_phones(people, [phone(152, 150)]) == [False, True]  # 40 % vs 60 %
    assert holding_phones(people, [phone(154, 150)]) == [False, True]
    assert holding_phones(people[:1], [phone(154, 150)]) == [True]  # 30 % inside
    assert holding_phones(people[:1], [phone(155, 150)]) == [False]  # 25 %
    assert holding_phones(people, [person(0, 300)]) == [False, False]  # a person is no phone
    assert holding_phones([], [phone(0, 0)]) == []


def test_each_frame_becomes_an_observation_of_its_confirmed_people() -> None:
    room = Scene(camera_id=7, zones=[BENCH, DESK])  # the default tracker: 3 hits to confirm
    sound = Sound(speech=True, level_db=-20.0)
    frames = [[person(100 + 5 * i, 400), phone(130 + 5 * i, 300)] for i in range(6)]
    seen = [
        room.observe(found, at=START + timedelta(seconds=i / 2), size=SIZE, sound=sound)
        for i, found in enumerate(frames)
    ]
    assert [len(o.people) for o in seen] == [0, 0, 1, 1, 1, 1]
    last = seen[-1]
    assert (last.camera_id, last.at, last.sound, last.picture_reason) == (
        7,
        START + timedelta(seconds=2.5),
        sound,
        "",
    )
    [someone] = last.people
    assert someone.track_id == 1 and someone.zones == ("Bench",) and someone.phone
    assert someone.dwell_s == {"Bench": pytest.approx(1.5)}  # counted from confirmation
    assert someone.box == pytest.approx(person(125, 400).box)


def test_a_frame_counts_its_newcomers_in_their_zones_but_gives_them_no_dwell() -> None:
    room = Scene(camera_id=7, zones=[BENCH, DESK])
    first = room.observe([person(100, 400)], at=START, size=SIZE)
    assert first.people == () and first.count() == 1 and first.count("Bench") == 1
    assert first.count("Desk") == 0 and [n.zones for n in first.newcomers] == [("Bench",)]
    later = [
        room.observe([person(100, 400)], at=START + timedelta(seconds=i / 2), size=SIZE)
        for i in range(1, 3)
    ]
    assert [(len(o.people), len(o.newcomers), o.count("Bench")) for o in later] == [
        (0, 1, 1),
        (1, 0, 1),  # confirmed: counted once, now with an id and dwell
    ]


def test_someone_seen_at_the_desk_after_the_bench_is_in_the_desk() -> None:
    room = scene()
    at = [START + timedelta(seconds=s) for s in range(0, 20)]
    xs = [100] * 8 + [700] * 12  # a jump the tracker cannot follow is a new person
    out = [room.observe([person(x, 400)], at=t, size=SIZE) for x, t in zip(xs, at, strict=True)]
    assert out[7].people[0].dwell_s == {"Bench": 7.0}
    assert out[-1].people[0].zones == ("Desk",)
    assert next(iter(out[-1].people[0].dwell_s.values())) > 0


def test_a_naive_time_is_read_as_utc() -> None:
    room, other = scene(), scene()
    for seconds in (0, 4):
        a = room.observe(
            [person(100, 400)],
            at=START.replace(tzinfo=None) + timedelta(seconds=seconds),
            size=SIZE,
        )
        b = other.observe([person(100, 400)], at=START + timedelta(seconds=seconds), size=SIZE)
    assert a.people[0].dwell_s == b.people[0].dwell_s == {"Bench": 4.0}

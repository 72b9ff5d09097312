"""Each fault, served by the real RTSP server, is classified by the probe and the picture
checks: the healthy camera's probes teach the baseline and the reference (all cameras show
the same scene), then every faulty camera's probe gets its own reason."""

from __future__ import annotations

from typing import Any

import pytest

from nigrani.health import picture
from nigrani.health.probe import probe_stream
from nigrani.stations.simulator import Simulator
from tests.stations.test_simulator_faults import NAMES, _url, faulty  # noqa: F401

pytestmark = pytest.mark.xdist_group("streams")  # real-time streams on loopback

LEARNING_PROBES = 3


def _judge(url: str, baseline: dict[str, Any], reference: Any) -> tuple[str, dict[str, Any]]:
    result = probe_stream(url, timeout_s=4, read_s=2, transport="udp")
    if result.reason:
        return result.reason, baseline
    judged = picture.judge(
        result.frames, baseline=baseline, reference=reference, audio_db=result.audio_db,
        expect_audio=True, night=False,
    )  # fmt: skip
    return judged.reason, judged.baseline


def test_every_fault_gets_its_reason(faulty: Simulator) -> None:  # noqa: F811
    healthy = _url(faulty, "healthy")
    first = probe_stream(healthy, timeout_s=4, read_s=2, transport="udp")
    assert first.reason == "" and first.frames, first.detail
    reference = picture.reference_frame(first.frames)
    baseline: dict[str, Any] = {}
    for _ in range(LEARNING_PROBES):
        reason, baseline = _judge(healthy, baseline, reference)
        assert reason == ""  # the healthy camera is working while it teaches the baseline
    expected = {
        "black": {"black"},
        "covered": {"covered"},
        "defocused": {"defocused"},
        "frozen": {"frozen"},
        "moved": {"moved"},
        "silent": {"silent"},
        "stopped": {"refused", "no_frames"},  # the server answers, the camera is not there
        "hung": {"no_frames"},  # accepts the connection, never answers
    }
    seen = {fault: _judge(_url(faulty, fault), baseline, reference)[0] for fault in expected}
    assert {f: r for f, r in seen.items() if r not in expected[f]} == {}, seen
    assert _judge(healthy, baseline, reference)[0] == ""  # and the healthy one still is

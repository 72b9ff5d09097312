"""Tracking the persons a detector finds on one camera, frame after frame, after ByteTrack
(Y. Zhang et al., "ByteTrack: Multi-Object Tracking by Associating Every Detection Box",
ECCV 2022): each track keeps a constant-velocity Kalman filter on its box; each frame its
high-score detections are matched first, by IoU with the Hungarian algorithm, to every
confirmed track (those lost a moment ago too), then its low-score detections to the tracks
seen in the last frame (a half-hidden person scores low but is still there), then what is
left to the tentative tracks; a high-score detection nobody claimed starts a tentative track.

A track is *confirmed*, and only then gets an id, after `min_hits` consecutive matches: a
one-frame false positive or a flicker never becomes a person, which is what inflates counts
when every new track is counted. A count of who is there *now* should not wait for that
second or so, though: `newcomers` gives the boxes of this frame's sure detections (at least
`new_track_score`) that belong to no confirmed track yet, which a frame's count adds to its
confirmed people (`Observation.count`) while ids, dwell and every per-person rule keep to
confirmed tracks only. A confirmed track that is not seen is kept `max_lost_s`
seconds of observed frames, then dropped; it is still reported, at its predicted box, for
`coast_s` after it went missing, so a missed detection or two do not drop a person from the
count.

Station cameras give 2-5 fps, not ByteTrack's 30, so: time comes with each frame and a gap
with no frames is no evidence that anybody left; boxes are compared by buffered IoU (Yang et
al., "Hard to Track Objects with Irregular Motions and Similar Appearances? Make It Easier
by Buffering the Matching Space", WACV 2023), widened more the longer a track is unseen, and
a lost track also by where it was last seen; such a track must then be matched twice in a
row to be found again, so that a stray false positive does not keep it alive; and a track
held only by low-score detections for `max_unsure_s` is dropped (on vtest.avi, NanoDet's
low scores on cones and sign posts otherwise hold a walker's track after he has gone).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from nigrani.analytics.assign import match
from nigrani.analytics.detector import Detection
from nigrani.analytics.kalman import Box, BoxFilter, Noise

Boxes = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class TrackerConfig:
    high_score: float = 0.5  # detections at least this sure are matched first
    low_score: float = 0.1  # and those between low and high only to tracks already there
    new_track_score: float = 0.6  # a tentative track starts only from a detection this sure
    first_iou: float = 0.1  # least (buffered) IoU for a high-score match
    second_iou: float = 0.3  # for a low-score one
    tentative_iou: float = 0.3  # for a tentative track's next detection
    buffer: float = 0.3  # boxes widened by this share of their size on each side for matching
    spread: float = 0.6  # and an unseen track's box by this much more per second unseen
    max_buffer: float = 1.5
    duplicate_iou: float = 0.8  # an unseen track this much on a seen one is its duplicate
    newcomer_iou: float = 0.3  # a newcomer this much on a reported person is not counted
    min_hits: int = 3  # consecutive matches before a track is a person
    refind_hits: int = 2  # and before one unseen over refind_after_s is found again
    refind_after_s: float = 2.0
    max_lost_s: float = 5.0  # a confirmed track unseen this long is dropped
    max_unsure_s: float = 5.0  # or matched only by low-score detections this long
    coast_s: float = 1.5  # and reported at its predicted box this long after it went missing
    extrapolate_s: float = 1.5  # an unseen track moves on this long, then waits where it is
    noise: Noise = field(default_factory=Noise)

    def __post_init__(self) -> None:
        if not 0 <= self.low_score <= self.high_score <= self.new_track_score <= 1:
            raise ValueError("scores must satisfy 0 <= low <= high <= new track <= 1")
        limits = (self.first_iou, self.second_iou, self.tentative_iou, self.newcomer_iou)
        if not all(0 < v <= 1 for v in limits):
            raise ValueError("IoU limits must lie in (0, 1]")
        if self.min_hits < 1 or self.buffer < 0 or min(self.max_lost_s, self.coast_s) < 0:
            raise ValueError("min_hits must be at least 1 and times and buffer not negative")


@dataclass(frozen=True, slots=True)
class Tracked:
    """A confirmed person in this frame."""

    track_id: int
    box: Box  # the detection's box when seen, else the filter's prediction
    score: float  # the last matched detection's score
    seen: bool  # matched to a detection in this frame


class _Track:
    __slots__ = (
        "filter",
        "hits",
        "last_box",
        "last_seen",
        "missed_since",
        "proving",
        "score",
        "streak",
        "track_id",
        "unsure_since",
    )

    def __init__(self, detection: Detection, at: float, noise: Noise) -> None:
        self.filter = BoxFilter(detection.box, noise)
        self.track_id: int | None = None  # given on confirmation
        self.hits = self.streak = 1
        self.score = detection.score
        self.last_box = detection.box
        self.last_seen = at
        self.unsure_since: float | None = None  # matched only by low scores since then
        self.missed_since: float | None = None  # the first frame of the current absence
        self.proving = False  # seen again after a real absence, not yet found

    def hit(self, detection: Detection, at: float, config: TrackerConfig) -> None:
        """Matched. A track unseen longer than refind_after_s is found again only after
        refind_hits matches in a row: a stray false positive where it was does not revive it."""
        if self.missed_since is not None and at - self.last_seen > config.refind_after_s:
            self.proving, self.streak = True, 0
        self.filter.update(detection.box)
        self.hits += 1
        self.streak += 1
        self.score = detection.score
        self.last_box = detection.box
        self.last_seen = at
        if detection.score >= config.high_score:
            self.unsure_since = None
        elif self.unsure_since is None:
            self.unsure_since = at
        if not self.proving or self.streak >= config.refind_hits:
            self.proving, self.missed_since = False, None

    def miss(self, at: float) -> None:
        self.streak = 0
        if self.missed_since is None:
            self.missed_since = at

    def take_over(self, other: _Track) -> None:
        """Carry on with another track's state (and keep this one's id)."""
        self.filter, self.last_box, self.score = other.filter, other.last_box, other.score
        self.hits, self.streak, self.last_seen = other.hits, other.streak, other.last_seen
        self.unsure_since = other.unsure_since
        self.missed_since, self.proving = other.missed_since, other.proving


class Tracker:
    """The tracks of one camera's persons; feed it every analysed frame in time order."""

    def __init__(self, config: TrackerConfig | None = None) -> None:
        self.config = config or TrackerConfig()
        self._confirmed: list[_Track] = []
        self._tentative: list[_Track] = []
        self._last_at: float | None = None
        self.issued = 0  # confirmed ids given so far (ids are 1, 2, ...)

    def update(self, detections: Sequence[Detection], at: float) -> list[Tracked]:
        """This frame's confirmed persons, given its detections and its time in seconds."""
        cfg = self.config
        people = [d for d in detections if d.label == "person" and d.score >= cfg.low_score]
        high = [d for d in people if d.score >= cfg.high_score]
        low = [d for d in people if d.score < cfg.high_score]
        self._predict(at)
        self._confirmed = [t for t in self._confirmed if not self._expired(t, at)]
        seen: set[int] = set()
        left = self._associate(self._confirmed, high, cfg.first_iou, at, seen)
        recent = [t for t in self._confirmed if id(t) not in seen and t.streak > 0]
        self._associate(recent, low, cfg.second_iou, at, seen)
        for track in self._confirmed:
            if id(track) not in seen:
                track.miss(at)
        left = self._grow_tentative(left, at)
        self._tentative += [
            _Track(d, at, cfg.noise) for d in left if d.score >= cfg.new_track_score
        ]
        self._promote()
        self._merge_duplicates(at)
        return [self._report(t, at) for t in self._confirmed if self._present(t, at)]

    def newcomers(self, at: float) -> list[Box]:
        """The boxes of the tentative tracks matched at `at` by a detection at least
        new_track_score sure: people arriving, not yet confirmed (no id, no dwell). One lying
        on a person already reported (IoU at least newcomer_iou: a box around two who are
        tracked, or a second box on one) is not somebody new."""
        cfg = self.config
        sure = [t for t in self._tentative if t.last_seen == at and t.score >= cfg.new_track_score]
        boxes = [t.last_box for t in sure]
        known = [self._report(t, at).box for t in self._confirmed if self._present(t, at)]
        if not boxes or not known:
            return boxes
        iou = overlaps(boxes, known)
        return [box for box, row in zip(boxes, iou, strict=True) if row.max() < cfg.newcomer_iou]

    def _predict(self, at: float) -> None:
        """Move every track to this frame's time, but none further than extrapolate_s past
        its last sighting: a motion unseen for long says little, and a gap between frames
        (no motion, a reconnect) should not fling tracks off the picture."""
        before = at if self._last_at is None else self._last_at
        self._last_at = max(at, before)
        for track in self._confirmed + self._tentative:
            until = track.last_seen + self.config.extrapolate_s
            step = min(at, until) - min(before, until)
            track.filter.predict(max(step, 0.0), hold_size=track.missed_since is not None)

    def _associate(
        self,
        tracks: list[_Track],
        detections: list[Detection],
        least_iou: float,
        at: float,
        seen: set[int],
    ) -> list[Detection]:
        """Match and update; returns the detections left over."""
        cfg = self.config
        boxes = [d.box for d in detections]
        # the longer a track is unseen, the further its person may be from where we think
        spread = [min(cfg.buffer + cfg.spread * (at - t.last_seen), cfg.max_buffer) for t in tracks]
        iou = overlaps([t.filter.box for t in tracks], boxes, spread)
        # where a track went missing, its person may also have stopped or turned back there
        lost = [i for i, t in enumerate(tracks) if t.missed_since is not None]
        last = overlaps([tracks[i].last_box for i in lost], boxes, [spread[i] for i in lost])
        iou[lost] = np.maximum(iou[lost], last)
        costs = 1.0 - iou
        pairs, _, unmatched = match(costs, 1.0 - least_iou)
        for row, column in pairs:
            tracks[row].hit(detections[column], at, self.config)
            seen.add(id(tracks[row]))
        return [detections[c] for c in unmatched]

    def _grow_tentative(self, detections: list[Detection], at: float) -> list[Detection]:
        """Tentative tracks take what is left or die: confirmation needs consecutive hits."""
        seen: set[int] = set()
        left = self._associate(self._tentative, detections, self.config.tentative_iou, at, seen)
        self._tentative = [t for t in self._tentative if id(t) in seen]
        return left

    def _promote(self) -> None:
        for track in [t for t in self._tentative if t.hits >= self.config.min_hits]:
            self.issued += 1
            track.track_id = self.issued
            self._tentative.remove(track)
            self._confirmed.append(track)

    def _merge_duplicates(self, at: float) -> None:
        """An unseen track lying on a seen one is the same person whose track split (as
        ByteTrack removes duplicates): the older id lives on, with the seen one's state."""
        seen = [t for t in self._confirmed if t.last_seen == at]
        unseen = [t for t in self._confirmed if t.last_seen != at]
        iou = overlaps([t.filter.box for t in unseen], [t.last_box for t in seen])
        gone: set[int] = set()
        for row, column in zip(*np.nonzero(iou > self.config.duplicate_iou), strict=True):
            old, new = unseen[row], seen[column]
            if id(old) in gone or id(new) in gone:
                continue
            if (old.track_id or 0) < (new.track_id or 0):
                old.take_over(new)
                old, new = new, old
            gone.add(id(old))
        self._confirmed = [t for t in self._confirmed if id(t) not in gone]

    def _present(self, track: _Track, at: float) -> bool:
        return track.missed_since is None or at - track.missed_since < self.config.coast_s

    def _expired(self, track: _Track, at: float) -> bool:
        """Unseen too long, or seen too long only by unsure detections: ByteTrack's low-score
        matches keep a half-hidden person, but also, left alone, a track on clutter."""
        cfg = self.config
        if track.unsure_since is not None and at - track.unsure_since > cfg.max_unsure_s:
            return True
        return track.missed_since is not None and at - track.missed_since > cfg.max_lost_s

    @staticmethod
    def _report(track: _Track, at: float) -> Tracked:
        assert track.track_id is not None
        seen = track.last_seen == at
        box = track.last_box if seen else track.filter.box
        return Tracked(track.track_id, box, track.score, seen)


def overlaps(
    first: Sequence[Box], second: Sequence[Box], buffer: float | Sequence[float] = 0.0
) -> Boxes:
    """IoU of every pair, both boxes first widened on each side by a share of their width
    and height (the buffered IoU of Yang et al. 2023, so that boxes apart at a low frame
    rate can still meet); the share is one for all, or one per box of `first`."""
    if not first or not second:
        return np.zeros((len(first), len(second)))
    grow = np.reshape(np.asarray(buffer, dtype=np.float64), (-1, 1, 1))
    a = _widened(np.asarray(first, dtype=np.float64)[:, None, :], grow)
    b = _widened(np.asarray(second, dtype=np.float64)[None, :, :], grow)
    low = np.maximum(a[..., :2], b[..., :2])
    high = np.minimum(a[..., 2:], b[..., 2:])
    inter = np.prod(np.clip(high - low, 0, None), axis=2)
    union = np.prod(a[..., 2:] - a[..., :2], axis=2) + np.prod(b[..., 2:] - b[..., :2], axis=2)
    result: Boxes = inter / np.maximum(union - inter, 1e-9)
    return result


def _widened(boxes: Boxes, grow: Boxes) -> Boxes:
    size = boxes[..., 2:] - boxes[..., :2]
    return np.concatenate([boxes[..., :2] - grow * size, boxes[..., 2:] + grow * size], axis=-1)

"""Scoring a rule's events against labelled intervals: an event found is a true positive if
it overlaps a labelled interval of its rule and clip not already matched (each label takes
at most one event), else a false positive; a label no event overlaps is a miss. Times are
seconds from the clip's start."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Interval:
    """A time span of one clip, in seconds from its start (end None: to the clip's end)."""

    start_s: float
    end_s: float | None = None

    def overlaps(self, other: Interval, *, clip_s: float) -> bool:
        """Whether the two spans share any time (an open end runs to the clip's end)."""
        mine = self.end_s if self.end_s is not None else clip_s
        theirs = other.end_s if other.end_s is not None else clip_s
        return self.start_s <= theirs and other.start_s <= mine


@dataclass(frozen=True, slots=True)
class Match:
    """One clip's events of one rule against its labels."""

    true_positives: int
    false_positives: int
    misses: int


def match(found: Sequence[Interval], labelled: Sequence[Interval], *, clip_s: float) -> Match:
    """Pair events with labels greedily in time order (earliest label first)."""
    free = sorted(labelled, key=lambda i: i.start_s)
    hits = 0
    for event in sorted(found, key=lambda i: i.start_s):
        for i, label in enumerate(free):
            if event.overlaps(label, clip_s=clip_s):
                del free[i]
                hits += 1
                break
    return Match(true_positives=hits, false_positives=len(found) - hits, misses=len(free))


@dataclass(frozen=True, slots=True)
class RuleScore:
    """One rule over every clip it was scored on."""

    rule: str
    clips: int
    true_positives: int
    false_positives: int
    misses: int

    @property
    def precision(self) -> float | None:
        """Events that were right; None when the rule raised none."""
        raised = self.true_positives + self.false_positives
        return self.true_positives / raised if raised else None

    @property
    def recall(self) -> float | None:
        """Labelled episodes found; None when nothing was labelled."""
        labelled = self.true_positives + self.misses
        return self.true_positives / labelled if labelled else None


def total(rule: str, matches: Iterable[Match]) -> RuleScore:
    """The sum of a rule's per-clip matches."""
    rows = list(matches)
    return RuleScore(
        rule=rule,
        clips=len(rows),
        true_positives=sum(m.true_positives for m in rows),
        false_positives=sum(m.false_positives for m in rows),
        misses=sum(m.misses for m in rows),
    )

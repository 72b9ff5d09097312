"""Possible duplicates: the same mobile, a place close by and similar words, recently."""

from __future__ import annotations

import math
import re
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from nigrani.grievances.models import Complaint

WINDOW = timedelta(days=14)
NEAR_M = 500.0
SIMILAR = 0.35  # share of words in common (Jaccard) that makes two texts "the same story"
WORD = re.compile(r"\w{3,}")


def words(text: str) -> set[str]:
    """The words of a text that carry meaning (three letters or more, any script)."""
    return {w.lower() for w in WORD.findall(text)}


def similarity(a: str, b: str) -> float:
    """Jaccard similarity of two texts' words, 0 to 1."""
    left, right = words(a), words(b)
    if not left or not right:
        return 0.0
    return len(left & right) / len(left | right)


def metres(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6_371_000 * math.asin(math.sqrt(h))


def _near(a: Complaint, b: Complaint) -> bool:
    if a.lat is None or a.lon is None or b.lat is None or b.lon is None:
        return True  # no place on one side: the words and the number must decide
    return metres(a.lat, a.lon, b.lat, b.lon) <= NEAR_M


def suggest(session: Session, complaint: Complaint) -> list[Complaint]:
    """Earlier or later complaints from the same mobile that look like the same matter."""
    if complaint.phone_hash is None:
        return []
    stmt = select(Complaint).where(
        Complaint.phone_hash == complaint.phone_hash,
        Complaint.id != complaint.id,
        Complaint.received_at >= complaint.received_at - WINDOW,
        Complaint.received_at <= complaint.received_at + WINDOW,
    )
    found = [
        other
        for other in session.scalars(stmt.order_by(Complaint.received_at)).all()
        if _near(complaint, other) and similarity(complaint.text, other.text) >= SIMILAR
    ]
    return found[:10]

"""`jurisdiction.within`: the one check of "is this object inside the caller's charge"."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from nigrani.accounts import jurisdiction
from nigrani.accounts.deps import Scope
from nigrani.accounts.models import JurisdictionNode
from nigrani.accounts.roles import Level, Role
from tests.accounts.factories import make_staff, make_tree


@pytest.mark.parametrize(
    ("path", "scope_path", "inside"),
    [
        ("/1/4/9/", "/1/4/", True),
        ("/1/4/", "/1/4/", True),
        ("/1/41/", "/1/4/", False),  # a sibling whose id starts with the same digits
        ("/1/41/7/", "/1/4/", False),
        ("/1/41/", "/1/4", False),  # a scope written without its closing slash
        ("/1/4", "/1/4/", True),
        ("/1/", "/1/4/", False),  # the parent is not inside its child
        ("/2/4/", "/1/4/", False),
        ("/7/", "/", True),  # the root holds everything
        ("", "/1/", False),  # an object with no node path lies nowhere
        ("", "/", False),
    ],
)
def test_within_compares_whole_ids(path: str, scope_path: str, inside: bool) -> None:
    assert jurisdiction.within(path, scope_path) is inside


@pytest.mark.parametrize("scope_path", ["", "1/4/"])
def test_a_scope_without_a_node_path_is_a_bug(scope_path: str) -> None:
    with pytest.raises(ValueError, match="not a node path"):
        jurisdiction.within("/1/4/", scope_path)
    with pytest.raises(ValueError, match="not a node path"):
        jurisdiction.under(JurisdictionNode.path, scope_path)


def _siblings(db: Session, count: int) -> list[JurisdictionNode]:
    """Zones under one commissionerate, enough that one id starts with another's digits."""
    root = jurisdiction.create_node(
        db, code="W", level=Level.COMMISSIONERATE, name_en="W", name_hi="W", parent=None
    )
    return [
        jurisdiction.create_node(
            db, code=f"W{i}", level=Level.ZONE, name_en=f"W{i}", name_hi="W", parent=root
        )
        for i in range(count)
    ]


def test_on_built_paths_within_is_ancestry_and_agrees_with_the_query(db: Session) -> None:
    nodes = list(make_tree(db).values()) + _siblings(db, 12)
    ids = {n.id for n in nodes}  # fresh SQLite: ids 1..22, so "/10/…" beside "/1/…"
    for scope in nodes:
        expected = {n.id for n in nodes if scope.id in jurisdiction.path_ids(n.path)}
        found = {n.id for n in nodes if jurisdiction.within(n.path, scope.path)}
        queried = db.scalars(
            select(JurisdictionNode.id).where(
                jurisdiction.under(JurisdictionNode.path, scope.path), JurisdictionNode.id.in_(ids)
            )
        )
        assert found == expected == set(queried), scope.code


def test_scope_contains_and_covers_use_within(db: Session) -> None:
    nodes = make_tree(db)
    scope = Scope(user=make_staff(db, Role.SHO, "S1"), node=nodes["S1"])
    assert scope.contains(nodes["P1"]) and scope.contains(nodes["S1"])
    assert not scope.contains(nodes["S2"]) and not scope.contains(nodes["C1"])
    assert scope.covers(nodes["P1"].path) and not scope.covers(nodes["S3"].path)
    assert not scope.covers("")

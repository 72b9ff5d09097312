"""Numbers a database cannot hold: every GET route with an integer in its path, given an id
past PostgreSQL's integer (2^31) and past a 64-bit one (2^63), answers 4xx, never 5xx, for
the roles that reach the most routes. A new route is covered without being listed here."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from nigrani.accounts.roles import Role
from tests.accounts.factories import login, make_staff, make_tree

HUGE = (2**31 + 7, 2**63 + 7)
PARAM = re.compile(r"\{(\w+)(:\w+)?\}")


def _path_params(dependant: Dependant) -> Iterator[Any]:
    yield from dependant.path_params
    for sub in dependant.dependencies:
        yield from _path_params(sub)


def _int_routes(app: FastAPI) -> list[str]:
    """GET paths whose every path parameter is an int (as the route or a dependency says)."""
    paths: set[str] = set()
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if not isinstance(route, APIRoute) or "GET" not in (route.methods or ()):
            continue
        # ids declared by load-or-404 dependencies too
        params = list(_path_params(route.dependant))
        if params and all(p.field_info.annotation is int for p in params) and context.path:
            paths.add(context.path)
    return sorted(paths)


@pytest.mark.parametrize("role", [Role.ADMIN, Role.COMMISSIONER])
def test_huge_ids_are_refused_not_a_server_error(
    app: FastAPI, client: TestClient, db: Session, role: Role
) -> None:
    make_tree(db)
    make_staff(db, role, "C", username="numbers")
    db.commit()
    assert login(client, "numbers").status_code == 303
    paths = _int_routes(app)
    assert len(paths) > 10  # the routes were found
    failures = []
    for path in paths:
        for number in HUGE:
            url = PARAM.sub(str(number), path)
            status = client.get(url, follow_redirects=False).status_code
            if status >= 500:
                failures.append((url, status))
    assert failures == []


def test_a_huge_query_number_is_refused(client: TestClient, db: Session) -> None:
    make_tree(db)
    make_staff(db, Role.SHO, "S1", username="desk")
    db.commit()
    assert login(client, "desk").status_code == 303
    response = client.get(f"/stations/playback?camera={2**63 + 7}")
    assert response.status_code < 500
    answer = client.get(f"/open311/v2/requests/{2**63 + 7}.json")
    assert answer.status_code in (400, 404)

"""Numbers a database cannot hold are refused at the edge (issue 13, 23 routes gave 500s).

Every integer a route takes (path, query, form, JSON body; its dependencies' too) declares
both bounds, so a new route without them fails here. Every route with an integer in its path
or query, GET or state-changing, given a number past PostgreSQL's integer (2^31) and past a
64-bit one (2^63) answers 4xx, and the number never reaches the database. The handler for
OverflowError and SQLSTATE 22003 stays as a safety net behind the bounds.
"""

from __future__ import annotations

import re
import typing
from collections.abc import Iterator
from typing import Any

import annotated_types
import pytest
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from pydantic import BaseModel
from pydantic.fields import FieldInfo
from sqlalchemy import Connection, event
from sqlalchemy.orm import Session

from nigrani.accounts.roles import Role
from tests.accounts.factories import csrf_from, login, make_staff, make_tree

HUGE = (2**31 + 7, 2**63 + 7)
PARAM = re.compile(r"\{(\w+)(:\w+)?\}")
STATE_CHANGING = ("POST", "PUT", "PATCH", "DELETE")


def _dependants(dependant: Dependant) -> Iterator[Dependant]:
    yield dependant
    for sub in dependant.dependencies:
        yield from _dependants(sub)


def _ints(annotation: Any, metadata: list[Any]) -> Iterator[tuple[Any, list[Any]]]:
    """Each integer inside an annotation (itself, an optional one, a list's items), with the
    constraints that apply to it."""
    if annotation is int:
        yield annotation, metadata
        return
    if typing.get_origin(annotation) is typing.Annotated:
        inner, *extra = typing.get_args(annotation)
        found = [m for e in extra for m in (e.metadata if isinstance(e, FieldInfo) else [e])]
        yield from _ints(inner, found)
        return
    for arg in typing.get_args(annotation):
        # A list's items are bounded on the item, an Optional's int by the field.
        yield from _ints(arg, metadata if typing.get_origin(annotation) is not list else [])


def _bounded(metadata: list[Any]) -> bool:
    low = any(isinstance(m, annotated_types.Ge | annotated_types.Gt) for m in metadata)
    high = any(isinstance(m, annotated_types.Le | annotated_types.Lt) for m in metadata)
    return low and high


def _model_fields(annotation: Any, seen: set[type]) -> Iterator[tuple[str, FieldInfo]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        if annotation in seen:
            return
        seen.add(annotation)
        for name, info in annotation.model_fields.items():
            yield f"{annotation.__name__}.{name}", info
            yield from _model_fields(info.annotation, seen)
    for arg in typing.get_args(annotation):
        yield from _model_fields(arg, seen)


def _unbounded(app: FastAPI) -> set[str]:
    found: set[str] = set()
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if not isinstance(route, APIRoute):
            continue
        for dependant in _dependants(route.dependant):
            params = [
                *dependant.path_params,
                *dependant.query_params,
                *dependant.header_params,
                *dependant.cookie_params,
                *dependant.body_params,
            ]
            fields = [(p.name, p.field_info) for p in params]
            for body in dependant.body_params:
                fields += list(_model_fields(body.field_info.annotation, set()))
            for name, info in fields:
                for _, metadata in _ints(info.annotation, list(info.metadata)):
                    if not _bounded(metadata):
                        found.add(f"{','.join(sorted(route.methods or ()))} {context.path}: {name}")
    return found


def test_every_integer_a_route_takes_has_both_bounds(app: FastAPI) -> None:
    assert _unbounded(app) == set()


def _int_params(dependant: Dependant, kind: str) -> Iterator[str]:
    for sub in _dependants(dependant):
        for param in getattr(sub, f"{kind}_params"):
            if any(True for _ in _ints(param.field_info.annotation, [])):
                yield param.alias


def _targets(app: FastAPI) -> list[tuple[str, str, str]]:
    """(method, path template, query name or "") for every integer a client can put in a
    path or a query."""
    targets: set[tuple[str, str, str]] = set()
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if not isinstance(route, APIRoute) or not context.path:
            continue
        path_ints = set(_int_params(route.dependant, "path"))
        query_ints = set(_int_params(route.dependant, "query"))
        for method in route.methods or ():
            if method not in ("GET", *STATE_CHANGING):
                continue
            if path_ints:
                targets.add((method, context.path, ""))
            targets.update((method, context.path, name) for name in query_ints)
    return sorted(targets)


def _url(path: str, number: int, query: str) -> str:
    """The path with `number` in every integer (1 where the number goes in the query)."""
    filled = PARAM.sub(str(1 if query else number), path)
    return f"{filled}?{query}={number}" if query else filled


@pytest.fixture()
def statements(connection: Connection) -> Iterator[list[Any]]:
    """The parameters of every statement the test's requests send to the database."""
    seen: list[Any] = []

    def note(_conn: Any, _cursor: Any, _statement: str, parameters: Any, *_a: Any) -> None:
        rows = parameters if isinstance(parameters, list) else [parameters]
        for row in rows:
            seen.extend(row.values() if isinstance(row, dict) else row or ())

    event.listen(connection, "before_cursor_execute", note)
    yield seen
    event.remove(connection, "before_cursor_execute", note)


@pytest.mark.parametrize("role", [Role.ADMIN, Role.COMMISSIONER])
def test_huge_numbers_are_refused_before_any_query(
    app: FastAPI, client: TestClient, db: Session, statements: list[Any], role: Role
) -> None:
    make_tree(db)
    make_staff(db, role, "C", username="numbers")
    db.commit()
    assert login(client, "numbers").status_code == 303
    token = csrf_from(client, "/")
    targets = _targets(app)
    assert len({path for method, path, _ in targets if method == "GET"}) > 10
    assert any(method == "POST" for method, _, _ in targets)
    failures = []
    for method, path, query in targets:
        for number in HUGE:
            url = _url(path, number, query)
            headers = {"X-CSRF-Token": token}
            status = client.request(method, url, headers=headers, follow_redirects=False)
            if status.status_code >= 500 or status.status_code < 400:
                failures.append((method, url, status.status_code))
    assert failures == []
    assert [value for value in statements if isinstance(value, int) and value > 2**31] == []


def test_a_huge_query_number_is_refused(client: TestClient, db: Session) -> None:
    make_tree(db)
    make_staff(db, Role.SHO, "S1", username="desk")
    db.commit()
    assert login(client, "desk").status_code == 303
    response = client.get(f"/stations/playback?camera={2**63 + 7}")
    assert response.status_code == 422
    answer = client.get(f"/open311/v2/requests/{2**63 + 7}.json")
    assert answer.status_code in (400, 404)

"""Numbers from the client, bounded at the edge: ids, page numbers and flags in paths, queries
and forms. A number outside its bounds is a 422 before any query runs, so no database is ever
asked for an id it cannot hold (an id past 2^31-1 was a 500 on PostgreSQL, one past 2^63-1 on
both). `tests/core/test_numbers.py` fails for any route with an unbounded integer.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Form, Path, Query
from pydantic import Field

from nigrani.core.db import MAX_BIG_ID, MAX_ID

MAX_PAGE = 100_000  # far past any list's last page, far below an OFFSET overflow
MAX_COUNT = 1_000_000  # targets, counts typed into a form

# An item of a list of ids (query or form).
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
PathId = Annotated[int, Path(ge=1, le=MAX_ID)]
PathBigId = Annotated[int, Path(ge=1, le=MAX_BIG_ID)]
QueryId = Annotated[int | None, Query(ge=1, le=MAX_ID)]
FormId = Annotated[int, Form(ge=1, le=MAX_ID)]
PageNo = Annotated[int, Query(alias="page", ge=1, le=MAX_PAGE)]
# `?saved=1` after a redirect: 0 or 1.
Flag = Annotated[int, Query(ge=0, le=1)]

"""Administration lists: roles by rank (never alphabetical), and long lists of jurisdictions
searchable — the tree by a form that needs no script, the user form's select by a filter
box the browser test drives (tests/e2e/test_admin_nodes.py)."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from nigrani.accounts.roles import STAFF_BY_RANK, STAFF_ROLES, Role
from tests.accounts.factories import login, make_staff, make_tree

RANK = [
    "commissioner",
    "dcp",
    "acp",
    "sho",
    "investigating_officer",
    "station_staff",
    "control_room_operator",
    "auditor",
    "admin",
]


@pytest.fixture()
def admin(client: TestClient, db: Session) -> None:
    make_tree(db)
    make_staff(db, Role.ADMIN, "C", "admin1")
    db.commit()
    assert login(client, "admin1").status_code == 303


def test_every_staff_role_has_one_rank() -> None:
    assert [r.value for r in STAFF_BY_RANK] == RANK
    assert set(STAFF_BY_RANK) == STAFF_ROLES


@pytest.mark.usefixtures("admin")
def test_the_role_select_lists_roles_by_rank(client: TestClient) -> None:
    page = client.get("/admin/users").text
    select = re.search(r'<select id="role" name="role">(.*?)</select>', page, re.S)
    assert select, page
    assert re.findall(r'<option value="([a-z_]+)"', select.group(1)) == RANK


@pytest.mark.usefixtures("admin")
def test_the_staff_table_lists_accounts_by_rank(client: TestClient, db: Session) -> None:
    for role, node, name in (
        (Role.STATION_STAFF, "S1", "aa-staff"),
        (Role.SHO, "S1", "zz-sho"),
        (Role.COMMISSIONER, "C", "mm-cp"),
    ):
        make_staff(db, role, node, name)
    db.commit()
    page = client.get("/admin/users").text
    order = re.findall(r'<a href="/admin/users/\d+">([a-z0-9-]+)</a>', page)
    assert order == ["mm-cp", "zz-sho", "aa-staff", "admin1"]


@pytest.mark.usefixtures("admin")
def test_the_node_select_has_a_filter_box_that_the_script_shows(client: TestClient) -> None:
    page = client.get("/admin/users").text
    assert 'data-filter-select="node_code"' in page and "hidden>" in page
    assert '<script src="/static/node-filter.js" defer></script>' in page
    assert 'data-search="S1 en S1 हिन्दी S1"' in page
    assert client.get("/static/node-filter.js").status_code == 200


def _tree_names(page: str) -> list[str]:
    return re.findall(r'<a href="/jurisdiction/([A-Z0-9-]+)">', page)


@pytest.mark.usefixtures("admin")
@pytest.mark.parametrize(
    ("q", "shown", "hits"),
    [
        ("s1", ["C", "Z1", "C1", "S1"], 1),  # the match and the branch above it
        ("S2 हिन्दी", ["C", "Z1", "C1", "S2"], 1),  # a Hindi name
        ("c2", ["C", "Z2", "C2"], 1),
        ("z", ["C", "Z1", "Z2"], 2),  # the matches, not what lies under them
    ],
)
def test_the_tree_is_narrowed_by_a_search_without_script(
    client: TestClient, q: str, shown: list[str], hits: int
) -> None:
    page = client.get("/admin/tree", params={"q": q}).text
    assert sorted(_tree_names(page)) == sorted(shown)
    assert page.count('<mark class="hit">') == hits
    assert f"{hits} of 9 match" in page


@pytest.mark.usefixtures("admin")
def test_a_tree_search_without_a_match_says_so(client: TestClient) -> None:
    page = client.get("/admin/tree", params={"q": "nowhere"}).text
    assert "0 of 9 match" in page
    assert _tree_names(page) == ["C"]
    assert len(_tree_names(client.get("/admin/tree").text)) == 9


@pytest.mark.usefixtures("admin")
def test_the_tree_page_shows_no_message_from_the_address(client: TestClient) -> None:
    page = client.get("/admin/tree", params={"message": "Call 9999", "error": "Call 8888"}).text
    assert "Call 9999" not in page and "Call 8888" not in page

"""spatial index for the canvass: an R*Tree on SQLite, a GiST point index on PostgreSQL

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 08:10:00.000000

SQLite: `camera_sites_rtree` mirrors every site's point (status is checked on the site rows,
read by id for their exact coordinates anyway); triggers keep it in step with every writer. A
later `batch_alter_table` on `camera_sites` recreates the table and so drops these triggers:
such a migration must create them again (tests/canvass/test_spatial.py fails otherwise).

PostgreSQL: a GiST index on the expression `point(lon, lat)` that also carries the columns
the search reads, without PostGIS.
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

SQLITE_UP = (
    "CREATE VIRTUAL TABLE camera_sites_rtree USING rtree(id, min_lat, max_lat, min_lon, max_lon)",
    "INSERT INTO camera_sites_rtree SELECT id, lat, lat, lon, lon FROM camera_sites",
    "CREATE TRIGGER camera_sites_rtree_insert AFTER INSERT ON camera_sites BEGIN"
    " INSERT INTO camera_sites_rtree VALUES (NEW.id, NEW.lat, NEW.lat, NEW.lon, NEW.lon); END",
    "CREATE TRIGGER camera_sites_rtree_update AFTER UPDATE OF id, lat, lon ON camera_sites BEGIN"
    " DELETE FROM camera_sites_rtree WHERE id = OLD.id;"
    " INSERT INTO camera_sites_rtree VALUES (NEW.id, NEW.lat, NEW.lat, NEW.lon, NEW.lon); END",
    "CREATE TRIGGER camera_sites_rtree_delete AFTER DELETE ON camera_sites BEGIN"
    " DELETE FROM camera_sites_rtree WHERE id = OLD.id; END",
)
SQLITE_DOWN = (
    "DROP TRIGGER camera_sites_rtree_delete",
    "DROP TRIGGER camera_sites_rtree_update",
    "DROP TRIGGER camera_sites_rtree_insert",
    "DROP TABLE camera_sites_rtree",
)
# INCLUDE makes it covering: the search reads only the index (an index-only scan).
POSTGRESQL_UP = (
    "CREATE INDEX ix_camera_sites_point ON camera_sites USING gist (point(lon, lat))"
    " INCLUDE (id, lat, lon, status)",
)
POSTGRESQL_DOWN = ("DROP INDEX ix_camera_sites_point",)


def _run(statements: dict[str, tuple[str, ...]]) -> None:
    for statement in statements[op.get_bind().dialect.name]:
        op.execute(statement)


def upgrade() -> None:
    _run({"sqlite": SQLITE_UP, "postgresql": POSTGRESQL_UP})


def downgrade() -> None:
    _run({"sqlite": SQLITE_DOWN, "postgresql": POSTGRESQL_DOWN})

"""An incremental refresh writes what changed, not the warehouse: the served file untouched, the standby patched."""

from __future__ import annotations

import hashlib
from pathlib import Path

from etl.publish import data_files
from etl.refresh import refresh, work_file
from tests.etl.conftest import ACCOUNT, LEAD_1, OPP_OPEN, REP, TERRITORY, query, sql

BLOCK = 256 * 1024  # DuckDB's block size


def blocks(path: Path) -> list[bytes]:
    data = path.read_bytes()
    return [hashlib.sha256(data[i : i + BLOCK]).digest() for i in range(0, len(data), BLOCK)]


def bytes_written() -> int:
    """Bytes this process has passed to write calls so far (every thread, every file)."""
    line = next(x for x in Path("/proc/self/io").read_text().splitlines() if x.startswith("wchar:"))
    return int(line.split()[1])


def changed_blocks(before: list[bytes], after: list[bytes]) -> int:
    return sum(a != b for a, b in zip(before, after, strict=False)) + abs(len(after) - len(before))


def test_an_incremental_refresh_rewrites_only_the_blocks_that_changed(crm_data, database_url, warehouse_path):
    sql(
        crm_data,
        "INSERT INTO leads (email, company, title, status, owner_id, territory_id, created_at) "
        f"SELECT 'bulk' || i || '@example.com', 'Company ' || i, 'Title ' || (i % 97), 'new', '{REP}', "
        f"'{TERRITORY}', timestamptz '2025-01-01' + i * interval '1 minute' FROM generate_series(1, 200000) AS i",
    )
    sql(
        crm_data,
        "INSERT INTO opportunities (name, account_id, owner_id, territory_id, stage, amount, expected_close_date, "
        f"created_at) SELECT 'Deal ' || i, '{ACCOUNT}', '{REP}', '{TERRITORY}', 'proposal', 100 + i, "
        "date '2025-06-01', timestamptz '2025-01-01' + i * interval '20 minutes' FROM generate_series(1, 20000) AS i",
    )
    sql(
        crm_data,
        "INSERT INTO opportunity_stage_history (opportunity_id, from_stage, to_stage, amount, changed_at) "
        "SELECT id, NULL, 'proposal', amount, created_at FROM opportunities WHERE name LIKE 'Deal %'",
    )
    refresh(full=True, url=database_url, warehouse_path=warehouse_path)
    refresh(url=database_url, warehouse_path=warehouse_path)  # seeds the second data file
    refresh(url=database_url, warehouse_path=warehouse_path)  # both files have now been patched in place
    served = warehouse_path.resolve()
    (standby,) = [f for f in data_files(warehouse_path) if f.name != served.name]
    served_bytes, standby_before = served.read_bytes(), blocks(standby)
    others = {
        p: p.stat().st_mtime_ns
        for p in warehouse_path.parent.iterdir()
        if p not in (standby, work_file(warehouse_path), warehouse_path)
    }

    sql(crm_data, f"UPDATE leads SET title = 'CTO' WHERE id = '{LEAD_1}'")
    sql(crm_data, f"UPDATE opportunities SET amount = 950 WHERE id = '{OPP_OPEN}'")
    written = bytes_written()
    result = refresh(url=database_url, warehouse_path=warehouse_path)
    written = bytes_written() - written

    assert result.mode == "incremental"
    assert warehouse_path.resolve() == standby  # the patched standby is now served
    assert query(warehouse_path, f"SELECT title FROM leads WHERE lead_id = '{LEAD_1}'") == [("CTO",)]
    assert served.read_bytes() == served_bytes  # the file served during the run was not written
    assert {p: p.stat().st_mtime_ns for p in others} == others  # nor any other file but the work file
    after = blocks(standby)
    size = standby.stat().st_size
    # two changed rows write a small part of the file (a rebuild or a copy writes all of it), and most of
    # the standby's blocks stay as they were
    assert size > 15_000_000
    assert written < size // 3, (written, size)
    assert changed_blocks(standby_before, after) <= len(after) // 3, (changed_blocks(standby_before, after), len(after))

"""sql/views.sql spells the warehouse layout in SQL (anchors, the journal, folder names), and
sql/listed_files.sql its own listing of it for the command line; each spelling is held here to
what storage/layout.py, which every writer asks, makes of it."""

from __future__ import annotations

import datetime as dt
import fnmatch
import re
from pathlib import PurePosixPath

import pytest

from storage import duck, layout
from storage.roots import Root

DAY = dt.date(2024, 3, 18)


def views_sql() -> str:
    """views.sql with `'a' || name || 'b'` joined to `a{name}b`, so a path spelled in pieces
    reads as one template."""
    text = duck.sql_text("views.sql")
    return re.sub(r"'\s*\|\|\s*([\w(), ]+?)\s*\|\|\s*'", r"{\1}", text)


def test_every_anchor_the_views_bind_is_the_one_the_layout_writes():
    spelled = set(re.findall(r"'(/[^']*part-empty\.parquet)'", views_sql()))
    written = {
        "/" + layout.empty_anchor("records").replace("/records/", "/{raw_table}/"),
        "/" + layout.agg_anchor("x").replace("/x/", "/{aggregate_name(name)}/"),
        *(
            "/" + layout.empty_anchor(table)
            for table in (
                layout.QUARANTINE,
                layout.LANDING_LOG,
                layout.LATE_UPLOADS,
                layout.PUBLICATIONS,
                layout.EXPIRATIONS,
            )
        ),
    }
    assert spelled == written


def test_the_journal_the_views_read_is_the_one_landing_writes():
    text = views_sql()
    assert f"'/{layout.JOURNAL}/*'" in text  # the folder, listed once
    pattern = re.search(r"regexp_extract\(file, '([^']*(?:intent|committed)[^']*)'", text)
    assert pattern, "the journal's file pattern in sql/views.sql"
    for rel in (layout.journal_intent("B-1"), layout.journal_committed("B-1")):
        assert rel.startswith(f"{layout.JOURNAL}/")
        found = re.search(pattern.group(1), rel)
        assert found and found.group(1) == "B-1", rel


@pytest.fixture
def connection(landed):
    base, _ = landed
    with duck.connect(Root(str(base / "warehouse"))) as con:
        yield con


def test_the_folders_the_macros_name_are_the_layouts_folders(connection):
    """A part written where the layout puts it matches the pattern a macro reads."""
    (raw,) = connection.duckdb.execute(
        "select partition_files('/raw/records', ['S0001'], [?], '/tmid=' || partition_tmid('T1')"
        " || '/*.parquet')",
        [DAY.isoformat()],
    ).fetchone()
    assert fnmatch.fnmatchcase("/" + layout.raw_part("records", "S0001", DAY, "T1", "b1"), raw[0])
    for table, part in (
        ("/quarantine", layout.quarantine_part("S0001", DAY, "b1")),
        ("/late_uploads", layout.late_uploads_part("S0001", DAY, "d1")),
        ("/agg/terminal_activity", layout.agg_part("terminal_activity", "S0001", DAY, "b1")),
    ):
        (files,) = connection.duckdb.execute(
            "select partition_files(?, ['S0001'], [?], '/*.parquet')", [table, DAY.isoformat()]
        ).fetchone()
        assert fnmatch.fnmatchcase("/" + part, files[0]), (table, files)
    (template,) = re.findall(r"'(/landing_log/day=\{partition_day\(d\)\}[^']*)'", views_sql())
    pattern = template.replace("{partition_day(d)}", DAY.isoformat())
    assert fnmatch.fnmatchcase("/" + layout.landing_log_part(DAY, "b1"), pattern)


def test_the_aggregates_agg_in_reads_are_the_layouts_and_no_other_name_is_read(connection):
    (listed,) = re.findall(r"in \(('terminal_activity'[^)]*)\)", duck.sql_text("views.sql"))
    assert tuple(n.strip(" '") for n in listed.split(",")) == layout.AGGREGATES
    for name in ("../..", "../../*", "*", "terminal_activity/..", ""):
        with pytest.raises(Exception, match="not an aggregate"):
            connection.duckdb.execute(
                "select count(*) from agg_in(?, ['S0001'], ['2024-03-18'])", [name]
            ).fetchall()


def _uncommitted_parts_body(text: str) -> str:
    """The `select` of the views' `uncommitted_parts()`, its blanks collapsed."""
    (body,) = re.findall(r"macro uncommitted_parts\(\) as table\n(.*?);", text, re.DOTALL)
    return " ".join(body.split())


def test_the_command_lines_listing_hides_uncommitted_batches_by_the_views_own_text():
    # sql/listed_files.sql runs before sql/views.sql creates the macro, so it holds a copy.
    listed = " ".join(duck.sql_text("listed_files.sql").split())
    assert _uncommitted_parts_body(duck.sql_text("views.sql")) in listed


def test_every_file_the_layout_writes_for_a_view_is_in_the_command_lines_listing():
    # PurePosixPath.match: a `*` is one folder or file name, as in DuckDB's glob.
    patterns = re.findall(r"glob\(getvariable\('warehouse'\) \|\| '([^']*\.parquet)'\)",
                          duck.sql_text("listed_files.sql"))  # fmt: skip
    written = [
        layout.raw_part("records", "S0001", DAY, "T1", "b1"),
        layout.agg_part("terminal_activity", "S0001", DAY, "b1"),
        layout.quarantine_part("S0001", DAY, "b1"),
        layout.late_uploads_part("S0001", DAY, "d1"),
        layout.publication_part("S0001", DAY, "p1"),
        layout.landing_log_part(DAY, "b1"),
        layout.expiration_part("S0001", "p1"),
    ]
    for rel in written:
        assert [p for p in patterns if PurePosixPath("/" + rel).match(p)], rel

-- The read primitives of sql/views.sql for any DuckDB from 1.5 on (the command line on PyPI,
-- `duckdb-cli`, is 1.5.6): they choose each read's files from a list of the warehouse's files
-- made once, when this file is read. sql/analyst.sql reads it before sql/views.sql, whose own
-- primitives (`read_parquet(..., allow_empty = true)`, DuckDB 2.0 on) are then not created;
-- storage.duck.connect uses those, which list a read's folders when it runs.
--
-- Why a list: DuckDB 1.5 fails a whole read on a file pattern that matches nothing (a day
-- without a folder), and a table function cannot take a `glob()` subquery; it can take a
-- variable. Each read is the listed files that match its patterns, then its table's empty
-- anchor file (so the list is never empty and the schema is known; last for DuckDB's row
-- estimate, see sql/views.sql `warehouse_partitions`).
--
-- A snapshot: files landed after this file was read are not shown, and a file deleted since
-- (retention, compaction, a rolled-back batch) fails the read that names it. Read it again
-- (`.read sql/listed_files.sql`, or all of sql/analyst.sql) to see the warehouse as it is now.
-- The raw parts of batches not committed at that moment are left out of the list for good, so
-- a batch that commits later never shows half its parts; the journal is still checked by
-- every read (`landed_rows` in sql/views.sql), as on the other path.
--
-- Usage (DuckDB): `set variable warehouse = '<root>'` and the key's variable, as sql/views.sql
-- says, then this file, then sql/views.sql.

set variable warehouse_listing = (
    with
    listed as (
        from glob(getvariable('warehouse') || '/raw/*/*/*/*/*.parquet')
        union all
        from glob(getvariable('warehouse') || '/agg/*/*/*/*.parquet')
        union all
        from glob(getvariable('warehouse') || '/quarantine/*/*/*.parquet')
        union all
        from glob(getvariable('warehouse') || '/late_uploads/*/*/*.parquet')
        union all
        from glob(getvariable('warehouse') || '/publications/*/*/*.parquet')
        union all
        from glob(getvariable('warehouse') || '/landing_log/*/*.parquet')
        union all
        from glob(getvariable('warehouse') || '/expirations/*/*.parquet')
    ),

    -- The body of `uncommitted_parts()` in sql/views.sql, which is not created yet: the same
    -- text (tests/storage/test_views_layout.py holds the two together).
    uncommitted as (
        select 'part-' || batch_id || '.parquet' as part
        from (
            select
                regexp_extract(file, '([^/]+)\.(intent\.json|committed)$', 1) as batch_id,
                ends_with(file, '.committed') as is_commit_marker
            from glob(getvariable('warehouse') || '/_state/journal/*')
        )
        where batch_id <> ''
        group by batch_id
        having not bool_or(is_commit_marker)
    )

    select coalesce(list(file order by file), cast([] as varchar []))
    from listed
    where not (
        regexp_matches(file, '/raw/[^/]+/support_id=[^/]+/day=[^/]+/tmid=[^/]+/[^/]+$')
        and parse_filename(file) in (from uncommitted)
    )
);

-- `path` (a listed file) matches one of `patterns` (paths below the root, each starting with
-- `/`, `*` for any folder or file name). glob() lists a root written with a trailing `/`
-- without the doubled one.
create or replace macro listed_file_matches(path, patterns) as
    len(list_filter(
        patterns, lambda pattern: path glob (rtrim(getvariable('warehouse'), '/') || pattern)
    )) > 0;

-- sql/views.sql `warehouse_partitions`: the anchor and the listed files of `files` (paths
-- below the root, `*` allowed for a folder's value), decrypted, hive folders as columns.
create or replace macro warehouse_partitions(anchor, files, with_names := false) as table
select *
from read_parquet(
    list_filter(getvariable('warehouse_listing'), lambda file: listed_file_matches(file, files))
    || [getvariable('warehouse') || anchor],
    hive_partitioning = true,
    hive_types = {'day': date},
    filename = with_names,
    encryption_config = {footer_key: 'it360'}
)
offset 0;

-- The same for a table without `day=` folders (expirations).
create or replace macro warehouse_undated_partitions(anchor, files) as table
select *
from read_parquet(
    list_filter(getvariable('warehouse_listing'), lambda file: listed_file_matches(file, files))
    || [getvariable('warehouse') || anchor],
    hive_partitioning = true,
    encryption_config = {footer_key: 'it360'}
)
offset 0;

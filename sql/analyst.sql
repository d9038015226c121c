-- The analyst views, macros and drill-downs for the DuckDB command line (2.0 or later), from the
-- repository root after `. var/env.sh`:
--     duckdb -cmd ".read sql/analyst.sql"                       an interactive session
--     duckdb -cmd ".read sql/analyst.sql" -c "from uploads limit 5"
-- The warehouse is IT360_WAREHOUSE (else var/warehouse). The key is read from the file
-- IT360_KEY_FILE names, else taken from IT360_KEY, as storage/crypto.py does: it is never
-- written on a command line, which `ps` shows to every user of the machine. (`getenv` is the
-- command line's own: from Python, storage.duck.connect does the same.)
.bail on
.output /dev/null
set variable warehouse = coalesce(nullif(getenv('IT360_WAREHOUSE'), ''), 'var/warehouse');

set variable warehouse_key = coalesce(
    (
        select nullif(trim(content, E' \t\r\n'), '')
        from read_text(coalesce(nullif(getenv('IT360_KEY_FILE'), ''), '/dev/null'))
    ),
    nullif(getenv('IT360_KEY'), '')
);

select case
    when getvariable('warehouse_key') is null
        then error('no warehouse key: set IT360_KEY_FILE (a file with 64 hex characters) or IT360_KEY')
    when not regexp_full_match(getvariable('warehouse_key'), '[0-9a-fA-F]{64}')
        then error(
            'the warehouse key (IT360_KEY_FILE, else IT360_KEY) must hold exactly 64 hex characters'
            || ' (32 random bytes); it holds ' || length(getvariable('warehouse_key'))
            || ' characters'
        )
end;

.read sql/views.sql
.read sql/record_classes.sql
.read sql/drilldown.sql
.output
.bail off

-- The analyst views, macros and drill-downs for the DuckDB command line (1.5.6, `pip install
-- duckdb-cli`, or 2.0 and later), from the repository root after `. var/env.sh`:
--     duckdb -cmd ".read sql/analyst.sql"                       an interactive session
--     duckdb -cmd ".read sql/analyst.sql" -c "from uploads limit 5"
-- The warehouse is IT360_WAREHOUSE (else var/warehouse). The key is read from the file
-- IT360_KEY_FILE names, else taken from IT360_KEY, as storage/crypto.py does: it is never
-- written on a command line, which `ps` shows to every user of the machine. (`getenv` is the
-- command line's own: from Python, storage.duck.connect does the same.)
-- The views and macros read the files listed when this file was read (sql/listed_files.sql):
-- `.read sql/analyst.sql` again to see what landed since.
-- No `.bail`: the command line stops at the first error of a `-cmd` anyway (so a missing key
-- is one line), and an explicit `.bail off` would make a failing `-c` query exit 0.
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

.read sql/listed_files.sql
.read sql/views.sql
.read sql/record_classes.sql
.read sql/drilldown.sql
.output

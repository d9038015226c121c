-- The built day's records, each with its login, type group and Japan date and hour: what the
-- day's scans (sql/dashboard_day_tables.sql) read.
-- No join here: a join with a small table made DuckDB hash the day in memory.

create or replace temp view day_records as
select
    committed_day_records.*,
    coalesce(committed_day_records."user", '') as login,
    cast(committed_day_records.local_time as date) as local_date,
    hour(committed_day_records.local_time) as local_hour,
    record_type_group(committed_day_records.type) as type_group
from committed_day_records;

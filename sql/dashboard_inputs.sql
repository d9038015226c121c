-- Inputs of one contract-day's dashboard build, as temporary views over the raw store.
-- Run by storage/dashboard_inputs.py, which binds the file lists as variables (each list
-- ends with the table's empty anchor, so an empty day still binds; record files of an
-- object store are local copies) and registers `org_info` (the contract's organisation
-- info, `login_key` lower-cased) and the warehouse key (sql/warehouse_key.sql).

-- The uploads' few small columns, read once (every record scan semi-joins them).
create or replace temp table day_uploads as
select support_id, day, tmid, upload_key, sent_at, computer, agent_version
from warehouse_parquet(getvariable('upload_files'));

-- Only records whose upload is committed: a part left by a killed landing run is ignored.
create or replace temp view committed_day_records as
with landed_records as (
    select tmid, upload_key, line_no, time, seq, type, "user", process, detail
    from warehouse_parquet(getvariable('record_files'))
)

select
    landed_records.*,
    -- Japan time (UTC+09:00, no daylight saving) of the record's UTC instant, as a
    -- wall-clock timestamp; computed from epoch milliseconds so that the session's time
    -- zone never matters.
    japan_local_time(landed_records.time) as local_time
from landed_records
semi join day_uploads using (upload_key);

-- Each terminal's uploads and records on its previous upload day (before the built day).
create or replace temp table history_uploads as
select tmid, day, upload_key, sent_at, computer, agent_version
from warehouse_parquet(getvariable('history_upload_files'));

create or replace temp view history_records as
with landed_history as (
    select tmid, upload_key, line_no, seq, type, detail
    from warehouse_parquet(getvariable('history_record_files'))
)

select landed_history.*
from landed_history
semi join history_uploads using (upload_key);

-- Mail domains of the contract's own people: a recipient elsewhere is outside. A recipient
-- without a domain (an internal distribution list) is not outside.
set variable internal_domains = (
    select coalesce(list(distinct lower(trim(split_part(mail, '@', 2)))), [])
    from org_info
    where mail like '%_@_%'
);


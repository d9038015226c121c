-- Analyst and portal views over the warehouse.
-- Usage (DuckDB):
--     set variable warehouse = '<root>';
--     set variable warehouse_key = '<the 64 hex characters of the warehouse key>';
--     then run this file.
-- <root> is the warehouse folder or s3:// prefix (IT360_WAREHOUSE); the key is the one in
-- IT360_KEY_FILE / IT360_KEY. Every file of the warehouse is encrypted (uniform AES-GCM
-- Parquet modular encryption): without the key nothing can be read.

-- The key, as in sql/warehouse_key.sql (repeated so that this file runs alone).
select case
    when getvariable('warehouse_key') is null
        then error('no warehouse key: set variable warehouse_key = ''<64 hex characters>'' first')
end;

pragma add_parquet_key('it360', to_base64(unhex(getvariable('warehouse_key'))));

-- A table of the warehouse by its file pattern, decrypted, with its hive folders as columns
-- (`day=` typed as a date).
-- `offset 0` keeps every filter out of the Parquet scan: DuckDB 2.0 fails its AES-GCM check on
-- any filtered scan (a `where`, a join filter, a top-n) of a file written by pyarrow's modular
-- encryption, while whole scans read correctly. The cost: a filter on support_id or day
-- prunes no folders here; to read one contract's or one day's folders only, call
-- `warehouse_days` with their path (README, Analysts).
create or replace macro warehouse_days(files) as table
select *
from read_parquet(
    getvariable('warehouse') || files,
    hive_partitioning = true,
    hive_types = {'day': date},
    encryption_config = {footer_key: 'it360'}
)
offset 0;

-- The same for tables partitioned by something other than `day`.
create or replace macro warehouse_files(files) as table
select *
from read_parquet(
    getvariable('warehouse') || files,
    hive_partitioning = true,
    encryption_config = {footer_key: 'it360'}
)
offset 0;

create or replace view uploads as
select
    support_id,
    day,
    tmid,
    upload_key,
    sent15,
    upload_id,
    sent_at,
    computer,
    agent_version,
    charset,
    header,
    zip_size,
    log_size,
    sha256,
    records,
    rejects,
    batch_id,
    landed_at
from warehouse_days('/raw/uploads/*/*/*/*.parquet');

-- Records whose upload row exists (the uploads part is written after the records parts): a
-- records part left by a run killed before that stays invisible until the next run removes it.
create or replace view records as
with landed_records as (
    select support_id, day, tmid, upload_key, line_no, time, seq, type, "user", process, detail
    from warehouse_days('/raw/records/*/*/*/*.parquet')
)
select landed_records.*
from landed_records
semi join uploads using (support_id, day, tmid, upload_key);

create or replace view rejects as
with landed_rejects as (
    select support_id, day, tmid, upload_key, line_no, reason, raw_line
    from warehouse_days('/raw/rejects/*/*/*/*.parquet')
)
select landed_rejects.*
from landed_rejects
semi join uploads using (support_id, day, tmid, upload_key);

create or replace view quarantine as
select
    support_id,
    name,
    reason,
    detail,
    sha256,
    size,
    quarantined_at,
    service_day,
    day as quarantined_day,
    batch_id
from warehouse_days('/quarantine/*/*/*.parquet');

create or replace view landing_log as
select day, batch_id, path, support_id, service_day, upload_key, outcome, reason, sha256, size, logged_at
from warehouse_days('/landing_log/*/*.parquet');

-- Deliverables handed to customers; `expired_at` is set once retention deleted the file.
create or replace view publications as
with published as (
    select *
    from warehouse_days('/publications/*/*/*.parquet')
),

expired as (
    select publication_id, expired_at
    from warehouse_files('/expirations/*/*.parquet')
),

late_per_publication as (
    select publication_id, count(*) as late_uploads
    from warehouse_files('/late_uploads/*/*/*.parquet')
    group by publication_id
)

select
    published.publication_id,
    published.kind,
    published.support_id,
    published.file_name,
    published.path,
    published.published_at,
    published.expires_at,
    expired.expired_at,
    published.size,
    published.sha256,
    published.uploads,
    published.entries,
    cast(from_json(published.service_days, '["DATE"]') as date []) as service_days,
    cast(from_json(published.days_without_data, '["DATE"]') as date []) as days_without_data,
    coalesce(late_per_publication.late_uploads, 0) as late_uploads,
    published.request
from published
left join expired using (publication_id)
left join late_per_publication using (publication_id);

create or replace view late_uploads as
select support_id, day, upload_key, publication_id, detected_at
from warehouse_days('/late_uploads/*/*/*.parquet');

-- Dashboard aggregates: what the portal reads (never the raw store). Built per contract and
-- service day by sql/agg_<name>.sql; columns in storage/aggregates.py (SCHEMAS; lists are
-- stored as JSON text, which the views parse, as for publications). A rebuild
-- adds a file under a greater build id beside the day's older one, which is deleted later:
-- each view shows, per (support_id, day), only the greatest build id, so a reader sees a
-- day's aggregate either as it was or as rebuilt, never half of it and never both. The
-- current build is chosen by a ranking window, in one scan of the files: with
-- `max(build_id) over (...)` DuckDB plans two scans, each listing the folder at its own
-- moment, and a build landing between the two listings would hide the day.
-- From Python, storage.aggregates.read_aggregate reads one contract's days the same way.

create or replace view agg_terminal_activity as
select * replace (
    from_json(computers, '["VARCHAR"]') as computers,
    from_json(users, '["VARCHAR"]') as users
)
from warehouse_days('/agg/terminal_activity/*/*/*.parquet')
qualify dense_rank() over (partition by support_id, day order by build_id desc) = 1;

create or replace view agg_user_activity as
select *
from warehouse_days('/agg/user_activity/*/*/*.parquet')
qualify dense_rank() over (partition by support_id, day order by build_id desc) = 1;

create or replace view agg_event_types as
select *
from warehouse_days('/agg/event_types/*/*/*.parquet')
qualify dense_rank() over (partition by support_id, day order by build_id desc) = 1;

create or replace view agg_risk_operations as
select *
from warehouse_days('/agg/risk_operations/*/*/*.parquet')
qualify dense_rank() over (partition by support_id, day order by build_id desc) = 1;

create or replace view agg_off_hours as
select *
from warehouse_days('/agg/off_hours/*/*/*.parquet')
qualify dense_rank() over (partition by support_id, day order by build_id desc) = 1;

create or replace view agg_applications as
select *
from warehouse_days('/agg/applications/*/*/*.parquet')
qualify dense_rank() over (partition by support_id, day order by build_id desc) = 1;

create or replace view agg_web_domains as
select *
from warehouse_days('/agg/web_domains/*/*/*.parquet')
qualify dense_rank() over (partition by support_id, day order by build_id desc) = 1;

create or replace view agg_usb_devices as
select *
from warehouse_days('/agg/usb_devices/*/*/*.parquet')
qualify dense_rank() over (partition by support_id, day order by build_id desc) = 1;

create or replace view agg_terminal_status as
select *
from warehouse_days('/agg/terminal_status/*/*/*.parquet')
qualify dense_rank() over (partition by support_id, day order by build_id desc) = 1;

create or replace view agg_inventory as
select * replace (
    from_json(ips, '["VARCHAR"]') as ips,
    from_json(macs, '["VARCHAR"]') as macs,
    from_json(
        drives, '[{"letter": "VARCHAR", "type": "VARCHAR", "size": "BIGINT", "free": "BIGINT"}]'
    ) as drives
)
from warehouse_days('/agg/inventory/*/*/*.parquet')
qualify dense_rank() over (partition by support_id, day order by build_id desc) = 1;

-- Analyst and portal views over the warehouse.
-- Usage (DuckDB):  set variable warehouse = '<root>';  then run this file.
-- <root> is the warehouse folder or s3:// prefix (IT360_WAREHOUSE).

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
from read_parquet(
    getvariable('warehouse') || '/raw/uploads/*/*/*/*.parquet',
    hive_partitioning = true,
    hive_types = {'day': date}
);

-- Records whose upload is committed: a part left by a killed landing run stays invisible
-- until the next run removes it.
create or replace view records as
with landed_records as (
    select support_id, day, tmid, upload_key, line_no, time, seq, type, "user", process, detail
    from read_parquet(
        getvariable('warehouse') || '/raw/records/*/*/*/*.parquet',
        hive_partitioning = true,
        hive_types = {'day': date}
    )
)
select landed_records.*
from landed_records
semi join uploads using (support_id, day, tmid, upload_key);

create or replace view rejects as
with landed_rejects as (
    select support_id, day, tmid, upload_key, line_no, reason, raw_line
    from read_parquet(
        getvariable('warehouse') || '/raw/rejects/*/*/*/*.parquet',
        hive_partitioning = true,
        hive_types = {'day': date}
    )
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
from read_parquet(
    getvariable('warehouse') || '/quarantine/*/*/*.parquet',
    hive_partitioning = true,
    hive_types = {'day': date}
);

create or replace view landing_log as
select day, batch_id, path, support_id, service_day, upload_key, outcome, reason, sha256, size, logged_at
from read_parquet(
    getvariable('warehouse') || '/landing_log/*/*.parquet',
    hive_partitioning = true,
    hive_types = {'day': date}
);

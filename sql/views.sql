-- Analyst and portal views over the warehouse, and the table macros that read only the
-- partitions they are given.
-- Usage (DuckDB):
--     set variable warehouse = '<root>';
--     set variable warehouse_key = '<the 64 hex characters of the warehouse key>';
--     then run this file.
-- <root> is the warehouse folder or s3:// prefix (IT360_WAREHOUSE); the key is the one in
-- IT360_KEY_FILE / IT360_KEY. Every file of the warehouse is encrypted (uniform AES-GCM
-- Parquet modular encryption): without the key nothing can be read.
--
-- Two ways in (README, Analysts):
-- * the views (`uploads`, `records`, ..., `agg_*`) read every partition of their table. From
--   Python, `storage.duck.connect` rewrites a query's view references into the macros below
--   whenever its `where` pins support_id and/or day, so there they read only those folders;
-- * the `<table>_between(support_id, first_day, last_day)` macros read only the folders of
--   that contract's days (a day without a folder reads as empty), from any DuckDB.
--
-- Why files are chosen by name and never by a filter: DuckDB 2.0 fails its AES-GCM check on
-- any filtered scan (a `where` on a data column, a join filter, a top-n) of a file written by
-- pyarrow's modular encryption, and its hive-partition pruning lists every file of the glob
-- before it prunes. So every read ends in `offset 0`, which keeps all filters above the
-- scan, and pruning happens by building the folder list.

-- The read primitives below (`warehouse_partitions`, `warehouse_undated_partitions`) read
-- `allow_empty`, which came with DuckDB 2.0: they are created only if none exist yet, so
-- sql/analyst.sql first reads sql/listed_files.sql, whose primitives (over its list,
-- `warehouse_listing`) any DuckDB from 1.5 on runs. An older DuckDB without them would fail
-- at the first view, so it is told here.
select case
    when
        try_cast(regexp_extract(version(), '^v?([0-9]+)\.', 1) as integer) < 2
        and getvariable('warehouse_listing') is null
        then error(
            'DuckDB ' || version() || ' needs sql/listed_files.sql read before sql/views.sql'
            || ' (duckdb -cmd ".read sql/analyst.sql" does both)'
        )
end;

-- The key, as in sql/warehouse_key.sql (repeated so that this file runs alone).
select case
    when getvariable('warehouse_key') is null
        then error('no warehouse key: set variable warehouse_key = ''<64 hex characters>'' first')
end;

pragma add_parquet_key('it360', to_base64(unhex(getvariable('warehouse_key'))));

-- A table of the warehouse by its file pattern, decrypted, with its hive folders as columns
-- (`day=` typed as a date). Reads every file the pattern matches.
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

-- The files of a table's listed folders (`support_id=S/day=D`, `*` allowed for either value),
-- decrypted. `anchor` is the table's empty file: it gives the schema when no folder exists,
-- so a range of days without data reads as no rows. It comes last because DuckDB estimates a
-- scan's rows from its first file: an empty first file made every scan look empty, and the
-- hidden-batch filter of `landed_rows` then held each row's file name in a join's build side
-- (memory grew with the rows read).
-- `with_names` adds each row's file as `filename`.
-- Created only if sql/listed_files.sql has not created its own (see above).
create macro if not exists warehouse_partitions(anchor, files, with_names := false) as table
select *
from read_parquet(
    list_transform(files, lambda file: getvariable('warehouse') || file)
    || [getvariable('warehouse') || anchor],
    hive_partitioning = true,
    hive_types = {'day': date},
    allow_empty = true,
    filename = with_names,
    encryption_config = {footer_key: 'it360'}
)
offset 0;

-- The same for a table without `day=` folders (expirations).
create macro if not exists warehouse_undated_partitions(anchor, files) as table
select *
from read_parquet(
    list_transform(files, lambda file: getvariable('warehouse') || file)
    || [getvariable('warehouse') || anchor],
    hive_partitioning = true,
    allow_empty = true,
    encryption_config = {footer_key: 'it360'}
)
offset 0;

-- Macro arguments never name a path: every support ID and day a macro puts into a folder name
-- goes through the checks below, so `..`, `/`, globs or any other text is refused, never read
-- (docs/reliability.md, Analysts).
--
-- A support ID that names one contract: the spec's `[A-Za-z0-9_-]{1,64}` without the reserved
-- leading `_` (transforms/names.py, `is_contract_id`; tests/storage/test_macro_arguments.py
-- checks both agree).
create or replace macro contract_id(support_id) as
    case
        when regexp_full_match(cast(support_id as varchar), '[A-Za-z0-9-][A-Za-z0-9_-]{0,63}')
            then cast(support_id as varchar)
        else error('not a support ID: ' || coalesce(cast(support_id as varchar), 'null'))
    end;

-- A day as its folder value: a DATE, or text that is exactly a real `YYYY-MM-DD` date from
-- 0001-01-01 on (the text must equal the parsed date written back, so only a date's own
-- digits reach a path).
create or replace macro day_value(d) as
    case
        when
            regexp_full_match(cast(d as varchar), '[0-9]{4}-[0-9]{2}-[0-9]{2}')
            and strftime(try_cast(cast(d as varchar) as date), '%Y-%m-%d') = cast(d as varchar)
            and cast(d as varchar) >= '0001-01-01'
            then cast(d as varchar)
        else error('not a day (YYYY-MM-DD): ' || coalesce(cast(d as varchar), 'null'))
    end;

-- In the `_in` lists, '*' alone stands for every contract or every day (what the views and
-- `storage.duck`'s pruning pass); the `_between` macros take one contract and real days only.
create or replace macro partition_support_id(support_id) as
    case when cast(support_id as varchar) = '*' then '*' else contract_id(support_id) end;

create or replace macro partition_day(d) as
    case when cast(d as varchar) = '*' then '*' else day_value(d) end;

-- `support_id=<S>/day=<D>` for every contract and day listed.
create or replace macro partition_folders(support_ids, days) as
    flatten(list_transform(
        support_ids,
        lambda support_id: list_transform(
            days,
            lambda d: 'support_id=' || partition_support_id(support_id) || '/day=' || partition_day(d)
        )
    ));

-- The files of those folders of one table: `table_path` || '/' || folder || `file_glob`.
create or replace macro partition_files(table_path, support_ids, days, file_glob) as
    list_transform(
        partition_folders(support_ids, days), lambda p: table_path || '/' || p || file_glob
    );

-- Every day from first_day to last_day, as folder values.
create or replace macro day_range(first_day, last_day) as
    list_transform(
        generate_series(
            cast(day_value(first_day) as date), cast(day_value(last_day) as date), interval 1 day
        ),
        lambda d: strftime(d, '%Y-%m-%d')
    );

-- The views below are created while this is empty, so creating them binds the anchors only
-- (connecting costs the same whatever the warehouse holds); they read every day afterwards.
set variable every_partition = cast([] as varchar []);

-- The raw store. `<table>_in(support_ids, days)` reads the listed contracts' days (lists of
-- values, '*' for all); `<table>_between(support_id, first_day, last_day)` one contract's
-- range of days; the view, everything.

-- The part files of landing batches that have not committed: a journal intent without its
-- commit marker (storage/journal.py). A batch killed before its commit leaves parts that the
-- next landing run removes; until then no reader shows them. Listing the journal costs one
-- small folder, listed once: finished batches leave nothing there.
-- The same rule is written twice more: sql/listed_files.sql, read before this file, holds
-- this body as its own (a test keeps the two texts equal), and storage/journal.py
-- `uncommitted_batches` for the files storage.duck names itself.
create or replace macro uncommitted_parts() as table
select 'part-' || batch_id || '.parquet' as part
from (
    select
        regexp_extract(file, '([^/]+)\.(intent\.json|committed)$', 1) as batch_id,
        ends_with(file, '.committed') as is_commit_marker
    from glob(getvariable('warehouse') || '/_state/journal/*')
)
where batch_id <> ''
group by batch_id
having not bool_or(is_commit_marker);

-- 'T...' (a TMID folder value, letters, digits and '-') or '*': anything else could reach
-- outside the day's folders.
create or replace macro partition_tmid(tmid) as
    case
        when regexp_full_match(tmid, '\*|[A-Za-z0-9][A-Za-z0-9-]*') then tmid
        else error('not a TMID: ' || coalesce(tmid, 'null'))
    end;

-- The rows of one raw table (uploads, records, rejects) in the listed partitions (`tmids`:
-- the TMID folders below each day, '*' for all), written by committed landing batches. A
-- batch writes its records and rejects parts before its uploads part and commits after all
-- three, so every record shown has its upload row.
-- The uncommitted parts are computed first, as one small list, and each row's file name is
-- looked up in it: a filter that streams, so a scan holds no memory per row read (a join
-- against them built a hash table of every row read).
create or replace macro landed_rows(raw_table, support_ids, days, tmids := ['*']) as table
select landed.* exclude (filename)
from warehouse_partitions(
    '/raw/' || raw_table || '/support_id=_empty/day=1970-01-01/tmid=_empty/part-empty.parquet',
    flatten(list_transform(
        cast(tmids as varchar []),
        lambda tmid: partition_files(
            '/raw/' || raw_table,
            support_ids,
            days,
            '/tmid=' || partition_tmid(tmid) || '/*.parquet'
        )
    )),
    with_names := true
) as landed
where not list_contains(
    (select coalesce(list(part), cast([] as varchar [])) from uncommitted_parts()),
    parse_filename(landed.filename)
);

create or replace macro uploads_in(support_ids, days, tmids := ['*']) as table
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
from landed_rows('uploads', support_ids, days, tmids := tmids);

create or replace macro records_in(support_ids, days, tmids := ['*']) as table
select support_id, day, tmid, upload_key, line_no, time, seq, type, "user", process, detail
from landed_rows('records', support_ids, days, tmids := tmids);

create or replace macro rejects_in(support_ids, days, tmids := ['*']) as table
select support_id, day, tmid, upload_key, line_no, reason, raw_line
from landed_rows('rejects', support_ids, days, tmids := tmids);

-- Quarantined files by the day they were quarantined on (`quarantined_day`).
create or replace macro quarantine_in(support_ids, days) as table
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
from warehouse_partitions(
    '/quarantine/support_id=_empty/day=1970-01-01/part-empty.parquet',
    partition_files('/quarantine', support_ids, days, '/*.parquet')
);

-- Every inbox file's fate, by the day of its landing run (not partitioned by contract).
create or replace macro landing_log_in(days) as table
select
    day,
    batch_id,
    path,
    support_id,
    service_day,
    upload_key,
    outcome,
    reason,
    sha256,
    size,
    logged_at
from warehouse_partitions(
    '/landing_log/day=1970-01-01/part-empty.parquet',
    list_transform(days, lambda d: '/landing_log/day=' || partition_day(d) || '/*.parquet')
);

create or replace macro late_uploads_in(support_ids, days) as table
select support_id, day, upload_key, publication_id, detected_at
from warehouse_partitions(
    '/late_uploads/support_id=_empty/day=1970-01-01/part-empty.parquet',
    partition_files('/late_uploads', support_ids, days, '/*.parquet')
);

create or replace macro uploads_between(support_id, first_day, last_day) as table
from uploads_in([contract_id(support_id)], day_range(first_day, last_day));

create or replace macro records_between(support_id, first_day, last_day) as table
from records_in([contract_id(support_id)], day_range(first_day, last_day));

create or replace macro rejects_between(support_id, first_day, last_day) as table
from rejects_in([contract_id(support_id)], day_range(first_day, last_day));

create or replace macro quarantine_between(support_id, first_day, last_day) as table
from quarantine_in([contract_id(support_id)], day_range(first_day, last_day));

create or replace macro landing_log_between(first_day, last_day) as table
from landing_log_in(day_range(first_day, last_day));

create or replace macro late_uploads_between(support_id, first_day, last_day) as table
from late_uploads_in([contract_id(support_id)], day_range(first_day, last_day));

create or replace view uploads as
from uploads_in(getvariable('every_partition'), getvariable('every_partition'));

create or replace view records as
from records_in(getvariable('every_partition'), getvariable('every_partition'));

create or replace view rejects as
from rejects_in(getvariable('every_partition'), getvariable('every_partition'));

create or replace view quarantine as
from quarantine_in(getvariable('every_partition'), getvariable('every_partition'));

create or replace view landing_log as
from landing_log_in(getvariable('every_partition'));

create or replace view late_uploads as
from late_uploads_in(getvariable('every_partition'), getvariable('every_partition'));

-- Deliverables handed to customers; `expired_at` is set once retention deleted the file.
create or replace view publications as
with published as (
    select *
    from warehouse_partitions(
        '/publications/support_id=_empty/day=1970-01-01/part-empty.parquet',
        partition_files(
            '/publications',
            getvariable('every_partition'),
            getvariable('every_partition'),
            '/*.parquet'
        )
    )
),

expired as (
    select publication_id, expired_at
    from warehouse_undated_partitions(
        '/expirations/support_id=_empty/part-empty.parquet',
        list_transform(
            getvariable('every_partition'),
            lambda s: '/expirations/support_id=' || partition_support_id(s) || '/*.parquet'
        )
    )
),

late_per_publication as (
    select publication_id, count(*) as late_uploads
    from late_uploads
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

-- Dashboard aggregates: what the portal reads (never the raw store). Built per contract and
-- service day by sql/agg_<name>.sql; columns in storage/aggregates/schemas.py (SCHEMAS; lists are
-- stored as JSON text, which the views parse, as for publications). A rebuild adds a file
-- under a greater build id beside the day's older one, which is deleted later: each reader
-- shows, per (support_id, day), only the greatest build id, so it sees a day's aggregate
-- either as it was or as rebuilt, never half of it and never both. The current build is
-- chosen by a ranking window, in one scan of the files: with `max(build_id) over (...)`
-- DuckDB plans two scans, each listing the folder at its own moment, and a build landing
-- between the two listings would hide the day.
-- From Python, storage.aggregates.read_aggregate reads one contract's days the same way.
-- One of the aggregates' names, the folder `agg_in` reads (storage/layout.py AGGREGATES;
-- tests/storage/test_views_layout.py holds the two lists together); anything else is refused.
create or replace macro aggregate_name(name) as
    case
        when cast(name as varchar) in ('terminal_activity', 'user_activity', 'event_types', 'risk_operations', 'off_hours', 'applications', 'web_domains', 'usb_devices', 'terminal_status', 'inventory') then cast(name as varchar)
        else error('not an aggregate: ' || coalesce(cast(name as varchar), 'null'))
    end;

create or replace macro agg_in(name, support_ids, days) as table
select *
from warehouse_partitions(
    '/agg/' || aggregate_name(name) || '/support_id=_empty/day=1970-01-01/part-empty.parquet',
    partition_files('/agg/' || aggregate_name(name), support_ids, days, '/*.parquet')
)
qualify dense_rank() over (partition by support_id, day order by build_id desc) = 1;

create or replace macro agg_terminal_activity_in(support_ids, days) as table
select * replace (
    from_json(computers, '["VARCHAR"]') as computers,
    from_json(users, '["VARCHAR"]') as users
)
from agg_in('terminal_activity', support_ids, days);

create or replace macro agg_inventory_in(support_ids, days) as table
select * replace (
    from_json(ips, '["VARCHAR"]') as ips,
    from_json(macs, '["VARCHAR"]') as macs,
    from_json(
        drives, '[{"letter": "VARCHAR", "type": "VARCHAR", "size": "BIGINT", "free": "BIGINT"}]'
    ) as drives
)
from agg_in('inventory', support_ids, days);

create or replace macro agg_user_activity_in(support_ids, days) as table
from agg_in('user_activity', support_ids, days);

create or replace macro agg_event_types_in(support_ids, days) as table
from agg_in('event_types', support_ids, days);

create or replace macro agg_risk_operations_in(support_ids, days) as table
from agg_in('risk_operations', support_ids, days);

create or replace macro agg_off_hours_in(support_ids, days) as table
from agg_in('off_hours', support_ids, days);

create or replace macro agg_applications_in(support_ids, days) as table
from agg_in('applications', support_ids, days);

create or replace macro agg_web_domains_in(support_ids, days) as table
from agg_in('web_domains', support_ids, days);

create or replace macro agg_usb_devices_in(support_ids, days) as table
from agg_in('usb_devices', support_ids, days);

create or replace macro agg_terminal_status_in(support_ids, days) as table
from agg_in('terminal_status', support_ids, days);

create or replace macro agg_terminal_activity_between(support_id, first_day, last_day) as table
from agg_terminal_activity_in([contract_id(support_id)], day_range(first_day, last_day));

create or replace macro agg_user_activity_between(support_id, first_day, last_day) as table
from agg_user_activity_in([contract_id(support_id)], day_range(first_day, last_day));

create or replace macro agg_event_types_between(support_id, first_day, last_day) as table
from agg_event_types_in([contract_id(support_id)], day_range(first_day, last_day));

create or replace macro agg_risk_operations_between(support_id, first_day, last_day) as table
from agg_risk_operations_in([contract_id(support_id)], day_range(first_day, last_day));

create or replace macro agg_off_hours_between(support_id, first_day, last_day) as table
from agg_off_hours_in([contract_id(support_id)], day_range(first_day, last_day));

create or replace macro agg_applications_between(support_id, first_day, last_day) as table
from agg_applications_in([contract_id(support_id)], day_range(first_day, last_day));

create or replace macro agg_web_domains_between(support_id, first_day, last_day) as table
from agg_web_domains_in([contract_id(support_id)], day_range(first_day, last_day));

create or replace macro agg_usb_devices_between(support_id, first_day, last_day) as table
from agg_usb_devices_in([contract_id(support_id)], day_range(first_day, last_day));

create or replace macro agg_terminal_status_between(support_id, first_day, last_day) as table
from agg_terminal_status_in([contract_id(support_id)], day_range(first_day, last_day));

create or replace macro agg_inventory_between(support_id, first_day, last_day) as table
from agg_inventory_in([contract_id(support_id)], day_range(first_day, last_day));

create or replace view agg_terminal_activity as
from agg_terminal_activity_in(getvariable('every_partition'), getvariable('every_partition'));

create or replace view agg_user_activity as
from agg_user_activity_in(getvariable('every_partition'), getvariable('every_partition'));

create or replace view agg_event_types as
from agg_event_types_in(getvariable('every_partition'), getvariable('every_partition'));

create or replace view agg_risk_operations as
from agg_risk_operations_in(getvariable('every_partition'), getvariable('every_partition'));

create or replace view agg_off_hours as
from agg_off_hours_in(getvariable('every_partition'), getvariable('every_partition'));

create or replace view agg_applications as
from agg_applications_in(getvariable('every_partition'), getvariable('every_partition'));

create or replace view agg_web_domains as
from agg_web_domains_in(getvariable('every_partition'), getvariable('every_partition'));

create or replace view agg_usb_devices as
from agg_usb_devices_in(getvariable('every_partition'), getvariable('every_partition'));

create or replace view agg_terminal_status as
from agg_terminal_status_in(getvariable('every_partition'), getvariable('every_partition'));

create or replace view agg_inventory as
from agg_inventory_in(getvariable('every_partition'), getvariable('every_partition'));

-- From here on the views read every partition (see `every_partition` above).
set variable every_partition = ['*'];

-- Drill-down: from one row of a dashboard aggregate to the records that were counted into it.
-- Needs the macros of sql/views.sql (storage.duck.view_connection runs this file right after
-- it; in the DuckDB command line, `.read sql/drilldown.sql` after `.read sql/views.sql`).
--
--     from drill_terminal_activity('S0001', date '2024-03-18', '<TMID>');
--     from drill_risk_operations('S0001', '2024-03-18', '<TMID>', 'CORP\tanaka',
--                                internal_domains := org_mail_domains(['a@example.co.jp']));
--     from drill_off_hours('S0001', '2024-03-18', 'CORP\tanaka',
--                          holidays := [date '2024-03-20']);
--     from drill_usb_devices('S0001', '2024-03-18', '0781:5581:4C530001');
--     from drill_web_domains('S0001', '2024-03-18', 'drive.google.com');
--
-- Each takes the row's contract, service day and the rest of its key, reads only that
-- contract-day's folders (records_in over the one day, and a row of one terminal only that
-- TMID's folder; the reads end in `offset 0`: every filter below stays above the scan, see
-- sql/views.sql) and returns one row per record:
-- tmid, upload_key, line_no, the six fields (time, seq, type, "user", process, detail) and
-- columns named after the row's figures, saying which of them the record counts toward.
--
-- A record is classified by the build's own macros (sql/record_classes.sql, which both
-- connections run). What is written here again is what the build computes on groups of
-- records, not records, to keep its one scan of the day cheap (off-hours from the groups'
-- Japan hours and dates, the USB device key); those expressions name where they come from,
-- and tests/storage/test_drilldown.py checks on the hand-counted fixture that every row's
-- figures equal the records drilled from it.
--
-- Two inputs of the build are not in the warehouse, so they are parameters here:
-- * `holidays` (DATE[]): the Japanese public holidays among the records' Japan dates (the
--   build takes them from the `holidays` package). Without it, a flag that depends on it
--   is null (unknown), never false;
-- * `internal_domains` (VARCHAR[]): the contract's own mail domains, `org_mail_domains` of
--   its organisation info's mail addresses ([] for a contract without one). Without it, a
--   mail's `mails_outside` flag is null (unknown) when it has a recipient with a domain.

-- japan_local_time, record_type_group, web_domain, recipient_domain, is_outside_domain_of and
-- the risk flags are the build's own (sql/record_classes.sql).

-- Off-hours (sql/dashboard_day_counts.sql): before 07:00, from 22:00, on a weekend, on a
-- public holiday, Japan time; a record is off-hours if it is any of them. Null when only the
-- holidays could decide and they were not given.
create or replace macro is_off_hours(local_time, holidays) as
    hour(local_time) < 7
    or hour(local_time) >= 22
    or isodow(cast(local_time as date)) in (6, 7)
    or list_contains(cast(holidays as date []), cast(local_time as date));

-- The contract's own mail domains from its organisation info's mail addresses, as the build
-- takes them (sql/dashboard_inputs.sql, `internal_domains`).
create or replace macro org_mail_domains(mails) as
    coalesce(
        list_distinct(
            list_transform(
                list_filter(mails, lambda mail: trim(mail) like '%_@_%'),
                lambda mail: lower(trim(split_part(mail, '@', 2)))
            )
        ),
        []
    );

-- The records of one contract-day (records whose upload row exists, as the build's
-- `committed_day_records`), with the build's `login` (empty for no user) and Japan time.
-- `tmids`: the terminals' folders to read (a drill-down to one terminal opens its own files
-- only), '*' for every terminal of the day.
create or replace macro drill_day_records(support_id, day, tmids := ['*']) as table
select
    landed.tmid,
    landed.upload_key,
    landed.line_no,
    landed.time,
    landed.seq,
    landed.type,
    landed."user",
    landed.process,
    landed.detail,
    coalesce(landed."user", '') as login,
    japan_local_time(landed.time) as local_time
from records_in([contract_id(support_id)], [day_value(day)], tmids := tmids) as landed;

-- Terminal activity, one row per (support_id, day, tmid): every record of the terminal.
-- `type_group`: the `<type_group>_records` figure it counts in (all count in `records`);
-- `off_hours_records`: whether it counts there (null: only `holidays` could tell);
-- `active_hour`: the Japan clock hour it puts in `active_hours` (the number of distinct ones;
-- null for the agent's own records, AGENT and INVENTORY). The row's `uploads` counts uploads,
-- some of which may hold no record.
create or replace macro drill_terminal_activity(support_id, day, tmid, holidays := null) as table
with terminal_records as (
    select
        day_records.*,
        record_type_group(day_records.type) as type_group
    from drill_day_records(support_id, day, tmids := [tmid]) as day_records
    where day_records.tmid = tmid
)

select
    terminal_records.* exclude (login, local_time, type_group),
    terminal_records.type_group,
    is_off_hours(terminal_records.local_time, holidays) as off_hours_records,
    case
        when terminal_records.type_group <> 'agent'
            then date_trunc('hour', terminal_records.local_time)
    end as active_hour,
    terminal_records.local_time
from terminal_records
order by terminal_records.time, terminal_records.seq, terminal_records.upload_key;

-- Risk operations, one row per (support_id, day, tmid, user; '' for records without one):
-- the records with at least one risk. Each boolean column is named after the figure it
-- counts in (the figure is the number of records where it is true; `risk_records` is true on
-- every record returned, null on a mail that is a risk only if its recipients are outside and
-- `internal_domains` was not given); `web_upload_bytes` and `print_pages` are what the record
-- adds to those sums. Flags as in sql/dashboard_day_tables.sql (`flagged_records`,
-- `domains_and_mails`).
create or replace macro drill_risk_operations(
    support_id, day, tmid, "user", internal_domains := null
) as table
with candidate_records as (
    select
        day_records.* exclude (login, local_time),
        mail_recipients(day_records.type, day_records.detail) as recipients
    from drill_day_records(support_id, day, tmids := [tmid]) as day_records
    where
        day_records.tmid = tmid
        and day_records.login = "user"
        and is_risk_type(day_records.type)
),

flagged_records as (
    select
        candidate_records.* exclude (recipients),
        is_copy_to_removable(candidate_records.type, candidate_records.detail)
            as copies_to_removable,
        is_move_to_removable(candidate_records.type, candidate_records.detail)
            as moves_to_removable,
        candidate_records.type = 'WEB_UPLOAD' as web_uploads,
        web_upload_size(candidate_records.type, candidate_records.detail) as web_upload_bytes,
        is_mail_with_attachments(candidate_records.type, candidate_records.detail)
            as mails_with_attachments,
        case
            when candidate_records.type <> 'MAIL_SEND' then false
            -- unknown own domains: outside if any recipient has a domain, as far as we know
            when cast(internal_domains as varchar []) is null
                then
                    case
                        when
                            len(
                                list_filter(
                                    candidate_records.recipients,
                                    lambda recipient: recipient_domain(recipient) <> ''
                                )
                            ) > 0
                            then null
                        else false
                    end
            else
                len(
                    list_filter(
                        candidate_records.recipients,
                        lambda recipient: is_outside_domain_of(
                            recipient_domain(recipient), cast(internal_domains as varchar [])
                        )
                    )
                ) > 0
        end as mails_outside,
        candidate_records.type = 'PRINT' as print_jobs,
        printed_pages(candidate_records.type, candidate_records.detail) as print_pages,
        candidate_records.type = 'USB_BLOCKED' as usb_blocked,
        is_clipboard_file(candidate_records.type, candidate_records.detail) as clipboard_files,
        is_share_write(candidate_records.type, candidate_records.detail) as share_writes
    from candidate_records
),

classified_records as (
    select
        flagged_records.*,
        flagged_records.copies_to_removable
        or flagged_records.moves_to_removable
        or flagged_records.web_uploads
        or flagged_records.mails_with_attachments
        or flagged_records.mails_outside
        or flagged_records.print_jobs
        or flagged_records.usb_blocked
        or flagged_records.clipboard_files
        or flagged_records.share_writes as risk_records
    from flagged_records
)

select classified_records.*
from classified_records
-- null: a risk or not depending on the contract's own domains, shown rather than hidden
where classified_records.risk_records is not false
order by classified_records.time, classified_records.seq, classified_records.upload_key;

-- Off-hours, one row per (support_id, day, user; never '': records without a user have no
-- row): every record of the user, on any terminal (all count in `records`). Each boolean
-- column is named after the figure it counts in; `holiday` and `off_hours` are null where
-- only `holidays` could tell.
create or replace macro drill_off_hours(support_id, day, "user", holidays := null) as table
select
    day_records.* exclude (login, local_time),
    hour(day_records.local_time) < 7 as before_07,
    hour(day_records.local_time) >= 22 as after_22,
    isodow(cast(day_records.local_time as date)) in (6, 7) as weekend,
    list_contains(cast(holidays as date []), cast(day_records.local_time as date)) as holiday,
    is_off_hours(day_records.local_time, holidays) as off_hours,
    day_records.local_time
from drill_day_records(support_id, day) as day_records
where day_records.login = "user" and day_records.login <> ''
order by day_records.time, day_records.tmid, day_records.seq, day_records.upload_key;

-- USB devices, one row per (support_id, day, device `VID:PID:serial`, VID and PID
-- upper-cased as in sql/agg_usb_devices.sql): the device's USB events on any terminal.
-- `counted_as`: 'connects', 'disconnects' or 'blocks'; `terminals` and `users` count the
-- distinct tmid and non-empty user of these records, `first_seen_at`/`last_seen_at` are
-- their first and last time.
create or replace macro drill_usb_devices(support_id, day, device) as table
with usb_events as (
    select
        day_records.* exclude (login, local_time),
        upper(coalesce(json_extract_string(day_records.detail, '$.vid'), ''))
        || ':'
        || upper(coalesce(json_extract_string(day_records.detail, '$.pid'), ''))
        || ':'
        || coalesce(json_extract_string(day_records.detail, '$.serial'), '') as event_device
    from drill_day_records(support_id, day) as day_records
    where day_records.type in ('USB_CONNECT', 'USB_DISCONNECT', 'USB_BLOCKED')
)

select
    usb_events.* exclude (event_device),
    case usb_events.type
        when 'USB_CONNECT' then 'connects'
        when 'USB_DISCONNECT' then 'disconnects'
        else 'blocks'
    end as counted_as
from usb_events
where usb_events.event_device = device
order by usb_events.time, usb_events.tmid, usb_events.seq, usb_events.upload_key;

-- Web domains, one row per (support_id, day, domain): the WEB_* records whose url has that
-- host, on any terminal. `counted_as`: 'accesses', 'uploads' or 'downloads';
-- `upload_bytes`: what an upload adds to that sum; `terminals` and `users` count the distinct
-- tmid and non-empty user of these records.
create or replace macro drill_web_domains(support_id, day, domain) as table
with web_records as (
    select
        day_records.* exclude (login, local_time),
        web_domain(json_extract_string(day_records.detail, '$.url')) as record_domain
    from drill_day_records(support_id, day) as day_records
    where day_records.type in ('WEB_ACCESS', 'WEB_UPLOAD', 'WEB_DOWNLOAD')
)

select
    web_records.* exclude (record_domain),
    case web_records.type
        when 'WEB_ACCESS' then 'accesses'
        when 'WEB_UPLOAD' then 'uploads'
        else 'downloads'
    end as counted_as,
    case
        when web_records.type = 'WEB_UPLOAD'
            then try_cast(json_extract_string(web_records.detail, '$.size') as bigint)
    end as upload_bytes
from web_records
-- a url without a host counts in no row
where coalesce(web_records.record_domain, '') <> '' and web_records.record_domain = domain
order by web_records.time, web_records.tmid, web_records.seq, web_records.upload_key;

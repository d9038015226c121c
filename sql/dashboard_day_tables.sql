-- The only two scans of the built day's records, into three small tables that every
-- agg_*.sql reads instead of the records themselves: day_record_groups, day_risk_web_groups
-- and day_device_records. Scanning the day is most of a build's cost (the files are
-- decrypted and decompressed whole on every scan, `detail` most of all), and a table of the
-- records themselves would hold the day in memory (about 1.2 KiB a record), so each table
-- keeps only what the aggregates need, counted as early as the aggregates allow.
-- Reads day_records (sql/dashboard_day_records.sql) and the macros of
-- sql/record_classes.sql (recipient_domain, is_outside_domain_of; the per-record risk flags).

-- Records counted per terminal, user, type, process (lower-cased: Windows names are
-- case-insensitive) and Japan date; no `detail`. What is per record is counted here: the
-- records before 07:00 and from 22:00, and the Japan clock hours (bit h of `clock_hours`
-- for hh:00-hh:59) of the date. Weekends and holidays follow from the date
-- (sql/dashboard_day_counts.sql).
create or replace temp table day_record_groups as
select
    tmid,
    login,
    type,
    type_group,
    lower(process) as process,
    local_date,
    count(*) as records,
    count(*) filter (where local_hour < 7) as before_07_records,
    count(*) filter (where local_hour >= 22) as after_22_records,
    bit_or(1 << local_hour) as clock_hours,
    min(time) as first_record_at,
    max(time) as last_record_at,
    min(seq) as first_seq,
    max(seq) as last_seq
from day_records
group by tmid, login, type, type_group, lower(process), local_date;

-- The one scan of the records' `detail`, for risk operations, web domains, USB devices, the
-- agent's states and inventories. Risk operations and web accesses are counted per terminal,
-- user, type, `url_start` and recipient list (the aggregates' grains are coarser); the few
-- USB, AGENT and INVENTORY records are kept one by one (`device_record`, which names the
-- record by its upload and line, so its group is that record alone). Risk flags:
--   copies_to_removable / moves_to_removable  FILE_COPY / FILE_MOVE with dst_drive removable
--   web_uploads, upload_bytes                 WEB_UPLOAD (and its sizes)
--   mails_with_attachments                    MAIL_SEND with at least one attachment
--   mails_outside                             MAIL_SEND with a to/cc recipient whose domain
--                                             is not one of the contract's own (the domains
--                                             of its organisation info's mail addresses,
--                                             sub-domains included); a recipient without
--                                             a domain is an internal list
--   print_jobs, print_pages                   PRINT, and pages x copies
--   usb_blocked                               USB_BLOCKED
--   clipboard_files                           CLIPBOARD of kind file
--   share_writes                              SHARE_ACCESS with op write
--   risk_records                              records with at least one of the above
-- The two costly tests, the web domain pattern and the mail recipients' domains, then run
-- once per group rather than once per record (day_risk_web_groups below). `url_start` is the
-- url up to the first '/' after its '://' (all of it if there is none): the domain pattern
-- never reads past that '/', so it finds the same domain in both.
create or replace temp table day_detail_groups as
with candidate_records as (
    select
        tmid,
        login,
        type,
        detail,
        case
            when type in ('WEB_ACCESS', 'WEB_UPLOAD', 'WEB_DOWNLOAD')
                then json_extract_string(detail, '$.url')
        end as url,
        mail_recipients(type, detail) as recipients,
        case
            when type in ('USB_CONNECT', 'USB_DISCONNECT', 'USB_BLOCKED', 'AGENT', 'INVENTORY')
                then
                    {
                        'time': time,
                        'seq': seq,
                        'upload_key': upload_key,
                        'line_no': line_no,
                        'detail': detail
                    }
        end as device_record
    from day_records
    where
        is_risk_type(type)
        or type in (
            'WEB_ACCESS', 'WEB_DOWNLOAD', 'USB_CONNECT', 'USB_DISCONNECT', 'AGENT', 'INVENTORY'
        )
),

flagged_records as (
    select
        tmid,
        login,
        type,
        case
            when strpos(url, '://') = 0 then url
            else
                left(
                    url,
                    strpos(url, '://') + 1 + strpos(substr(url, strpos(url, '://') + 3) || '/', '/')
                )
        end as url_start,
        recipients,
        device_record,
        is_copy_to_removable(type, detail) as is_copy_to_removable,
        is_move_to_removable(type, detail) as is_move_to_removable,
        type = 'WEB_UPLOAD' as is_web_upload,
        web_upload_size(type, detail) as upload_size,
        is_mail_with_attachments(type, detail) as is_mail_with_attachments,
        type = 'PRINT' as is_print,
        printed_pages(type, detail) as printed_pages,
        type = 'USB_BLOCKED' as is_usb_blocked,
        is_clipboard_file(type, detail) as is_clipboard_file,
        is_share_write(type, detail) as is_share_write
    from candidate_records
)

select
    tmid,
    login,
    type,
    url_start,
    recipients,
    is_mail_with_attachments,
    device_record,
    count(*) as records,
    count(*) filter (where is_copy_to_removable) as copies_to_removable,
    count(*) filter (where is_move_to_removable) as moves_to_removable,
    count(*) filter (where is_web_upload) as web_uploads,
    sum(upload_size) as upload_bytes,
    count(*) filter (where is_print) as print_jobs,
    sum(printed_pages) as print_pages,
    count(*) filter (where is_usb_blocked) as usb_blocked,
    count(*) filter (where is_clipboard_file) as clipboard_files,
    count(*) filter (where is_share_write) as share_writes,
    -- a mail's risks are known only with its recipients' domains (day_risk_web_groups)
    count(*) filter (
        where is_copy_to_removable
        or is_move_to_removable
        or is_web_upload
        or is_print
        or is_usb_blocked
        or is_clipboard_file
        or is_share_write
    ) as risk_records_but_mail
from flagged_records
group by tmid, login, type, url_start, recipients, is_mail_with_attachments, device_record;

-- Risk operations and web accesses per terminal, user, type and web domain `domain` (the host
-- name, lower-cased, without user info or port, of a WEB_* url).
create or replace temp table day_risk_web_groups as
with domains_and_mails as (
    select
        day_detail_groups.* exclude (url_start, recipients, device_record),
        web_domain(url_start) as domain,
        type = 'MAIL_SEND'
        and len(
            list_filter(
                recipients,
                lambda recipient: is_outside_domain_of(
                    recipient_domain(recipient), getvariable('internal_domains')
                )
            )
        ) > 0 as is_mail_outside
    from day_detail_groups
    where type not in ('USB_CONNECT', 'USB_DISCONNECT', 'AGENT', 'INVENTORY')
)

select
    tmid,
    login,
    type,
    domain,
    sum(records) as records,
    sum(copies_to_removable) as copies_to_removable,
    sum(moves_to_removable) as moves_to_removable,
    sum(web_uploads) as web_uploads,
    sum(upload_bytes) as upload_bytes,
    coalesce(sum(records) filter (where is_mail_with_attachments), 0) as mails_with_attachments,
    coalesce(sum(records) filter (where is_mail_outside), 0) as mails_outside,
    sum(print_jobs) as print_jobs,
    sum(print_pages) as print_pages,
    sum(usb_blocked) as usb_blocked,
    sum(clipboard_files) as clipboard_files,
    sum(share_writes) as share_writes,
    sum(risk_records_but_mail)
    + coalesce(sum(records) filter (where is_mail_with_attachments or is_mail_outside), 0)
        as risk_records
from domains_and_mails
group by tmid, login, type, domain;

-- The USB events and the agent's states and inventories, one row per record.
create or replace temp table day_device_records as
select tmid, login, type, unnest(device_record)
from day_detail_groups
where device_record is not null;

drop table day_detail_groups;

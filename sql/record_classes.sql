-- How one record is classified, shared by the dashboard build (storage/dashboard_inputs.py runs
-- this file before sql/dashboard_inputs.sql) and the analysts' drill-down (storage/duck.py runs
-- it before sql/drilldown.sql), so that a drilled record counts where the build counted it.

-- A record's Japan time (UTC+09:00, no daylight saving) as a wall-clock timestamp, from epoch
-- milliseconds so that the session's time zone never matters.
create or replace macro japan_local_time(utc_time) as
    make_timestamp((epoch_ms(utc_time) + 9 * 3600 * 1000) * 1000);

-- The type group a record counts in: terminal activity's `<group>_records`.
create or replace macro record_type_group(record_type) as
    case
        when record_type in ('POWER_ON', 'POWER_OFF', 'SLEEP', 'RESUME') then 'power'
        when record_type in ('LOGON', 'LOGOFF', 'LOCK', 'UNLOCK') then 'session'
        when record_type in ('APP_START', 'APP_END', 'WINDOW') then 'app'
        when
            record_type in (
                'FILE_CREATE', 'FILE_WRITE', 'FILE_DELETE', 'FILE_COPY', 'FILE_MOVE',
                'FILE_RENAME'
            )
            then 'file'
        when record_type = 'PRINT' then 'print'
        when record_type in ('WEB_ACCESS', 'WEB_UPLOAD', 'WEB_DOWNLOAD') then 'web'
        when record_type = 'MAIL_SEND' then 'mail'
        when record_type in ('USB_CONNECT', 'USB_DISCONNECT', 'USB_BLOCKED') then 'usb'
        when record_type = 'CLIPBOARD' then 'clipboard'
        when record_type = 'SHARE_ACCESS' then 'share'
        when record_type in ('INVENTORY', 'AGENT') then 'agent'
        else 'other'
    end;

-- The host name of a WEB_* url, lower-cased, without user info or port ('' if none). The
-- pattern never reads past the first '/' after '://', so the build may apply it to the url
-- cut there (to group urls first) and the drill-down to the whole url: same host.
create or replace macro web_domain(url) as
    lower(regexp_extract(url, '^[A-Za-z][A-Za-z0-9+.-]*://(?:[^/?#@]*@)?([^/?#:]+)', 1));

-- A mail recipient's domain, lower-cased ('' without one: an internal distribution list).
create or replace macro recipient_domain(recipient) as
    lower(regexp_extract(trim(recipient), '@([^@<>\s]+)>?$', 1));

-- Whether a recipient's domain is outside the contract's own domains, sub-domains included.
create or replace macro is_outside_domain_of(domain, internal_domains) as
    domain <> ''
    and not list_contains(internal_domains, domain)
    and len(list_filter(internal_domains, lambda internal: ends_with(domain, '.' || internal))) = 0;

-- The operations the risk aggregate counts, one flag or amount a figure, from a record's type
-- and detail: the build flags the day's records with them (sql/dashboard_day_tables.sql), the
-- drill-down each record it returns.
create or replace macro is_risk_type(record_type) as
    record_type in (
        'FILE_COPY',
        'FILE_MOVE',
        'WEB_UPLOAD',
        'MAIL_SEND',
        'PRINT',
        'USB_BLOCKED',
        'CLIPBOARD',
        'SHARE_ACCESS'
    );

create or replace macro is_copy_to_removable(record_type, detail) as
    record_type = 'FILE_COPY' and json_extract_string(detail, '$.dst_drive') = 'removable';

create or replace macro is_move_to_removable(record_type, detail) as
    record_type = 'FILE_MOVE' and json_extract_string(detail, '$.dst_drive') = 'removable';

create or replace macro web_upload_size(record_type, detail) as
    case
        when record_type = 'WEB_UPLOAD'
            then try_cast(json_extract_string(detail, '$.size') as bigint)
    end;

create or replace macro is_mail_with_attachments(record_type, detail) as
    record_type = 'MAIL_SEND' and coalesce(json_array_length(detail, '$.attachments'), 0) > 0;

-- A mail's recipients, to and cc (null for any other record).
create or replace macro mail_recipients(record_type, detail) as
    case
        when record_type = 'MAIL_SEND'
            then
                coalesce(json_extract_string(detail, '$.to[*]'), [])
                || coalesce(json_extract_string(detail, '$.cc[*]'), [])
    end;

create or replace macro printed_pages(record_type, detail) as
    case
        when record_type = 'PRINT'
            then
                coalesce(try_cast(json_extract_string(detail, '$.pages') as bigint), 0)
                * coalesce(try_cast(json_extract_string(detail, '$.copies') as bigint), 1)
    end;

create or replace macro is_clipboard_file(record_type, detail) as
    record_type = 'CLIPBOARD' and json_extract_string(detail, '$.kind') = 'file';

create or replace macro is_share_write(record_type, detail) as
    record_type = 'SHARE_ACCESS' and json_extract_string(detail, '$.op') = 'write';

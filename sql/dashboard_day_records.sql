-- The built day's records, each with its login, type group and Japan date and hour: what the
-- day's scans (sql/dashboard_day_tables.sql) read.
-- No join here: a join with a small table made DuckDB hash the day in memory.

create or replace temp view day_records as
select
    committed_day_records.*,
    coalesce(committed_day_records."user", '') as login,
    cast(committed_day_records.local_time as date) as local_date,
    hour(committed_day_records.local_time) as local_hour,
    case
        when type in ('POWER_ON', 'POWER_OFF', 'SLEEP', 'RESUME') then 'power'
        when type in ('LOGON', 'LOGOFF', 'LOCK', 'UNLOCK') then 'session'
        when type in ('APP_START', 'APP_END', 'WINDOW') then 'app'
        when
            type in (
                'FILE_CREATE', 'FILE_WRITE', 'FILE_DELETE', 'FILE_COPY', 'FILE_MOVE',
                'FILE_RENAME'
            )
            then 'file'
        when type = 'PRINT' then 'print'
        when type in ('WEB_ACCESS', 'WEB_UPLOAD', 'WEB_DOWNLOAD') then 'web'
        when type = 'MAIL_SEND' then 'mail'
        when type in ('USB_CONNECT', 'USB_DISCONNECT', 'USB_BLOCKED') then 'usb'
        when type = 'CLIPBOARD' then 'clipboard'
        when type = 'SHARE_ACCESS' then 'share'
        when type in ('INVENTORY', 'AGENT') then 'agent'
        else 'other'
    end as type_group
from committed_day_records;

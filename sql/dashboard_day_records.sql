-- The built day's records, each with its type group and its off-hours flags: the view every
-- agg_*.sql reads. `holiday_dates` (DATE[]) holds the Japanese public holidays among the
-- records' Japan dates; the build binds it from the `holidays` package.
-- No join here: every aggregate scans this view, and a join would hold the day in memory.

create or replace temp view day_records as
with records_with_local_dates as (
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
    from committed_day_records
),

flagged_records as (
    select
        records_with_local_dates.*,
        local_hour < 7 as is_before_07,
        local_hour >= 22 as is_after_22,
        isodow(local_date) in (6, 7) as is_weekend,
        list_contains(getvariable('holiday_dates'), local_date) as is_holiday
    from records_with_local_dates
)

select
    flagged_records.*,
    is_before_07 or is_after_22 or is_weekend or is_holiday as is_off_hours
from flagged_records;

-- Views over day_record_groups (sql/dashboard_day_tables.sql) once `holiday_dates` (DATE[],
-- the Japanese public holidays among the records' Japan dates, from the `holidays` package)
-- is bound.

-- The record counts with their off-hours flags: before 07:00, from 22:00, on a weekend, on a
-- public holiday (Japan time); a record is off-hours if it is any of them.
create or replace temp view day_record_counts as
with dated_groups as (
    select
        day_record_groups.*,
        isodow(local_date) in (6, 7) as is_weekend,
        list_contains(getvariable('holiday_dates'), local_date) as is_holiday
    from day_record_groups
)

select
    dated_groups.*,
    case
        when is_weekend or is_holiday then records
        else before_07_records + after_22_records
    end as off_hours_records
from dated_groups;

-- Per terminal and user (empty for records without one): records by type group, first and
-- last record time, off-hours records. Terminal and user activity both add these up.
create or replace temp view day_terminal_user_records as
select
    tmid,
    login,
    sum(records) as records,
    coalesce(sum(records) filter (where type_group = 'power'), 0) as power_records,
    coalesce(sum(records) filter (where type_group = 'session'), 0) as session_records,
    coalesce(sum(records) filter (where type_group = 'app'), 0) as app_records,
    coalesce(sum(records) filter (where type_group = 'file'), 0) as file_records,
    coalesce(sum(records) filter (where type_group = 'print'), 0) as print_records,
    coalesce(sum(records) filter (where type_group = 'web'), 0) as web_records,
    coalesce(sum(records) filter (where type_group = 'mail'), 0) as mail_records,
    coalesce(sum(records) filter (where type_group = 'usb'), 0) as usb_records,
    coalesce(sum(records) filter (where type_group = 'clipboard'), 0) as clipboard_records,
    coalesce(sum(records) filter (where type_group = 'share'), 0) as share_records,
    coalesce(sum(records) filter (where type_group = 'agent'), 0) as agent_records,
    coalesce(sum(records) filter (where type_group = 'other'), 0) as other_records,
    sum(off_hours_records) as off_hours_records,
    min(first_record_at) as first_record_at,
    max(last_record_at) as last_record_at
from day_record_counts
group by tmid, login;

-- Off-hours: per service day and user, records before 07:00, from 22:00, on a weekend and on
-- a Japanese public holiday (Japan time of each record; a record counts once in every
-- category it falls in), and `off_hours`, the records in at least one of them.
-- Reads day_record_counts (sql/dashboard_day_counts.sql: holidays from the `holidays`
-- package), org_info; binds $support_id, $day, $build_id.

with off_hours_per_user as (
    select
        login,
        sum(records) as records,
        sum(before_07_records) as before_07,
        sum(after_22_records) as after_22,
        coalesce(sum(records) filter (where is_weekend), 0) as weekend,
        coalesce(sum(records) filter (where is_holiday), 0) as holiday,
        sum(off_hours_records) as off_hours
    from day_record_counts
    where login <> ''
    group by login
)

select
    $support_id as support_id,
    $day as day,
    off_hours_per_user.login as "user",
    org_info.name,
    org_info.organisation,
    off_hours_per_user.* exclude (login),
    $build_id as build_id
from off_hours_per_user
left join org_info on lower(off_hours_per_user.login) = org_info.login_key
order by off_hours_per_user.login;

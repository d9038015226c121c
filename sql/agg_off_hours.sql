-- Off-hours: per service day and user, records before 07:00, from 22:00, on a weekend and on
-- a Japanese public holiday (Japan time of each record; a record counts once in every
-- category it falls in), and `off_hours`, the records in at least one of them.
-- Reads day_records (holidays from the `holidays` package, bound as holiday_dates), org_info;
-- binds $support_id, $day, $build_id.

with off_hours_per_user as (
    select
        login,
        count(*) as records,
        count(*) filter (where is_before_07) as before_07,
        count(*) filter (where is_after_22) as after_22,
        count(*) filter (where is_weekend) as weekend,
        count(*) filter (where is_holiday) as holiday,
        count(*) filter (where is_off_hours) as off_hours
    from day_records
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

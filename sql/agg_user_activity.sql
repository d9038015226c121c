-- User activity: per service day and login name, records by type group, joined with the
-- contract's organisation info (login names compared case-insensitively, as Windows does).
-- Records without a user are not anyone's activity and are left out.
-- Reads day_terminal_user_records (one row per terminal and user), org_info; binds
-- $support_id, $day, $build_id.

with records_per_user as (
    select
        login,
        count(*) as terminals,
        sum(columns('records$')),
        min(first_record_at) as first_record_at,
        max(last_record_at) as last_record_at
    from day_terminal_user_records
    where login <> ''
    group by login
)

select
    $support_id as support_id,
    $day as day,
    records_per_user.login as "user",
    org_info.name,
    org_info.title,
    org_info.company,
    org_info.organisation,
    org_info.mail,
    records_per_user.* exclude (login),
    $build_id as build_id
from records_per_user
left join org_info on lower(records_per_user.login) = org_info.login_key
order by records_per_user.login;

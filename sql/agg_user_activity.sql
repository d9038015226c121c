-- User activity: per service day and login name, records by type group, joined with the
-- contract's organisation info (login names compared case-insensitively, as Windows does).
-- Records without a user are not anyone's activity and are left out.
-- Reads day_records, org_info; binds $support_id, $day, $build_id.

with terminals_per_user as (
    select login, count(distinct tmid) as terminals
    from day_records
    where login <> ''
    group by login
),

records_per_user as (
    select
        login,
        count(*) as records,
        count(*) filter (where type_group = 'power') as power_records,
        count(*) filter (where type_group = 'session') as session_records,
        count(*) filter (where type_group = 'app') as app_records,
        count(*) filter (where type_group = 'file') as file_records,
        count(*) filter (where type_group = 'print') as print_records,
        count(*) filter (where type_group = 'web') as web_records,
        count(*) filter (where type_group = 'mail') as mail_records,
        count(*) filter (where type_group = 'usb') as usb_records,
        count(*) filter (where type_group = 'clipboard') as clipboard_records,
        count(*) filter (where type_group = 'share') as share_records,
        count(*) filter (where type_group = 'agent') as agent_records,
        count(*) filter (where type_group = 'other') as other_records,
        min(time) as first_record_at,
        max(time) as last_record_at,
        count(*) filter (where is_off_hours) as off_hours_records
    from day_records
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
    terminals_per_user.terminals,
    records_per_user.* exclude (login),
    $build_id as build_id
from records_per_user
inner join terminals_per_user using (login)
left join org_info on lower(records_per_user.login) = org_info.login_key
order by records_per_user.login;

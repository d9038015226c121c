-- Terminal activity: per service day and TMID, the computer name(s), records by type group,
-- first and last record time, active hours, off-hours records, and the terminal's main user
-- (most records) with that user's organisation.
-- Active hours: Japan clock hours holding a record other than the agent's own (AGENT,
-- INVENTORY). `computers` and `users` are JSON lists (see storage/aggregates.py).
-- Reads day_uploads, day_records, org_info; binds $support_id, $day, $build_id.

with uploads_per_terminal as (
    select
        tmid,
        count(*) as uploads,
        first(computer order by sent_at desc, upload_key desc) as computer
    from day_uploads
    group by tmid
),

computer_names as (
    select tmid, computer, min(sent_at) as first_sent_at
    from day_uploads
    where computer is not null
    group by tmid, computer
),

computers_per_terminal as (
    select tmid, list(computer order by first_sent_at, computer) as computers
    from computer_names
    group by tmid
),

records_per_terminal as (
    select
        tmid,
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
    group by tmid
),

active_clock_hours as (
    select distinct tmid, date_trunc('hour', local_time) as clock_hour
    from day_records
    where type_group <> 'agent'
),

active_hours_per_terminal as (
    select tmid, count(*) as active_hours
    from active_clock_hours
    group by tmid
),

records_per_terminal_user as (
    select tmid, login, count(*) as records
    from day_records
    where login <> ''
    group by tmid, login
),

users_per_terminal as (
    select tmid, list(login order by login) as users
    from records_per_terminal_user
    group by tmid
),

main_users as (
    select tmid, first(login order by records desc, login) as main_user
    from records_per_terminal_user
    group by tmid
)

select
    $support_id as support_id,
    $day as day,
    uploads_per_terminal.tmid,
    uploads_per_terminal.computer,
    to_json(coalesce(computers_per_terminal.computers, []))::varchar as computers,
    uploads_per_terminal.uploads,
    coalesce(records_per_terminal.records, 0) as records,
    coalesce(records_per_terminal.power_records, 0) as power_records,
    coalesce(records_per_terminal.session_records, 0) as session_records,
    coalesce(records_per_terminal.app_records, 0) as app_records,
    coalesce(records_per_terminal.file_records, 0) as file_records,
    coalesce(records_per_terminal.print_records, 0) as print_records,
    coalesce(records_per_terminal.web_records, 0) as web_records,
    coalesce(records_per_terminal.mail_records, 0) as mail_records,
    coalesce(records_per_terminal.usb_records, 0) as usb_records,
    coalesce(records_per_terminal.clipboard_records, 0) as clipboard_records,
    coalesce(records_per_terminal.share_records, 0) as share_records,
    coalesce(records_per_terminal.agent_records, 0) as agent_records,
    coalesce(records_per_terminal.other_records, 0) as other_records,
    records_per_terminal.first_record_at,
    records_per_terminal.last_record_at,
    coalesce(active_hours_per_terminal.active_hours, 0) as active_hours,
    coalesce(records_per_terminal.off_hours_records, 0) as off_hours_records,
    to_json(coalesce(users_per_terminal.users, []))::varchar as users,
    main_users.main_user,
    org_info.organisation,
    $build_id as build_id
from uploads_per_terminal
left join computers_per_terminal using (tmid)
left join records_per_terminal using (tmid)
left join active_hours_per_terminal using (tmid)
left join users_per_terminal using (tmid)
left join main_users using (tmid)
left join org_info on lower(main_users.main_user) = org_info.login_key
order by uploads_per_terminal.tmid;

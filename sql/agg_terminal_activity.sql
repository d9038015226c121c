-- Terminal activity: per service day and TMID, the computer name(s), records by type group,
-- first and last record time, active hours, off-hours records, and the terminal's main user
-- (most records) with that user's organisation.
-- Active hours: Japan clock hours holding a record other than the agent's own (AGENT,
-- INVENTORY). `computers` and `users` are JSON lists (see storage/aggregates/schemas.py).
-- Reads day_uploads, day_terminal_user_records, day_record_groups, org_info; binds
-- $support_id, $day, $build_id.

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
        sum(columns('records$')),
        min(first_record_at) as first_record_at,
        max(last_record_at) as last_record_at
    from day_terminal_user_records
    group by tmid
),

-- Japan clock hours holding a record other than the agent's own, per date (bit h: hh:00).
active_clock_hours as (
    select tmid, local_date, bit_or(clock_hours) as clock_hours
    from day_record_groups
    where type_group <> 'agent'
    group by tmid, local_date
),

active_hours_per_terminal as (
    select tmid, sum(bit_count(clock_hours)) as active_hours
    from active_clock_hours
    group by tmid
),

records_per_terminal_user as (
    select tmid, login, records
    from day_terminal_user_records
    where login <> ''
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

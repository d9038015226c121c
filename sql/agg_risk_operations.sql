-- Risk operations: per service day, TMID and user (empty for records without one), the
-- operations that can take data out or around controls: copies and moves to removable
-- drives, web uploads (and their bytes), mails with attachments or outside recipients, print
-- jobs and pages, blocked USB devices, clipboard-to-file, writes to shares, and the records
-- with at least one of them (the flags are defined in sql/dashboard_day_tables.sql).
-- Only (TMID, user) pairs with a risk record. Reads day_risk_web_groups;
-- binds $support_id, $day, $build_id.

with risks_per_terminal_user as (
    select
        tmid,
        login,
        sum(copies_to_removable) as copies_to_removable,
        sum(moves_to_removable) as moves_to_removable,
        sum(web_uploads) as web_uploads,
        coalesce(sum(upload_bytes), 0) as web_upload_bytes,
        sum(mails_with_attachments) as mails_with_attachments,
        sum(mails_outside) as mails_outside,
        sum(print_jobs) as print_jobs,
        coalesce(sum(print_pages), 0) as print_pages,
        sum(usb_blocked) as usb_blocked,
        sum(clipboard_files) as clipboard_files,
        sum(share_writes) as share_writes,
        sum(risk_records) as risk_records
    from day_risk_web_groups
    where type not in ('WEB_ACCESS', 'WEB_DOWNLOAD')
    group by tmid, login
    having sum(risk_records) > 0
)

select
    $support_id as support_id,
    $day as day,
    risks_per_terminal_user.tmid,
    risks_per_terminal_user.login as "user",
    risks_per_terminal_user.* exclude (tmid, login),
    $build_id as build_id
from risks_per_terminal_user
order by risks_per_terminal_user.tmid, risks_per_terminal_user.login;

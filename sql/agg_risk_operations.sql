-- Risk operations: per service day, TMID and user (empty for records without one), the
-- operations that can take data out or around controls:
--   copies_to_removable / moves_to_removable  FILE_COPY / FILE_MOVE with dst_drive removable
--   web_uploads, web_upload_bytes              WEB_UPLOAD (and its sizes)
--   mails_with_attachments                     MAIL_SEND with at least one attachment
--   mails_outside                              MAIL_SEND with a to/cc recipient whose domain
--                                              is not one of the contract's own (the domains
--                                              of its organisation info's mail addresses,
--                                              sub-domains included); a recipient without
--                                              a domain is an internal list
--   print_jobs, print_pages                    PRINT, and pages x copies
--   usb_blocked                                USB_BLOCKED
--   clipboard_files                            CLIPBOARD of kind file
--   share_writes                               SHARE_ACCESS with op write
--   risk_records                               records with at least one of the above
-- Only (TMID, user) pairs with a risk record. Reads day_records and the macros of
-- sql/dashboard_inputs.sql (mail_domain, is_outside_domain);
-- binds $support_id, $day, $build_id.

with candidate_records as (
    select
        tmid,
        login,
        type,
        detail,
        case
            when type = 'MAIL_SEND'
                then
                    coalesce(json_extract_string(detail, '$.to[*]'), [])
                    || coalesce(json_extract_string(detail, '$.cc[*]'), [])
        end as recipients
    from day_records
    where type in (
        'FILE_COPY',
        'FILE_MOVE',
        'WEB_UPLOAD',
        'MAIL_SEND',
        'PRINT',
        'USB_BLOCKED',
        'CLIPBOARD',
        'SHARE_ACCESS'
    )
),

flagged_records as (
    select
        tmid,
        login,
        type = 'FILE_COPY' and json_extract_string(detail, '$.dst_drive') = 'removable'
            as is_copy_to_removable,
        type = 'FILE_MOVE' and json_extract_string(detail, '$.dst_drive') = 'removable'
            as is_move_to_removable,
        type = 'WEB_UPLOAD' as is_web_upload,
        case
            when type = 'WEB_UPLOAD'
                then try_cast(json_extract_string(detail, '$.size') as bigint)
        end as web_upload_size,
        type = 'MAIL_SEND' and coalesce(json_array_length(detail, '$.attachments'), 0) > 0
            as is_mail_with_attachments,
        type = 'MAIL_SEND'
        and len(
            list_filter(recipients, lambda recipient: is_outside_domain(mail_domain(recipient)))
        ) > 0 as is_mail_outside,
        type = 'PRINT' as is_print,
        case
            when type = 'PRINT'
                then
                    coalesce(try_cast(json_extract_string(detail, '$.pages') as bigint), 0)
                    * coalesce(try_cast(json_extract_string(detail, '$.copies') as bigint), 1)
        end as printed_pages,
        type = 'USB_BLOCKED' as is_usb_blocked,
        type = 'CLIPBOARD' and json_extract_string(detail, '$.kind') = 'file' as is_clipboard_file,
        type = 'SHARE_ACCESS' and json_extract_string(detail, '$.op') = 'write' as is_share_write
    from candidate_records
),

risky_records as (
    select
        flagged_records.*,
        is_copy_to_removable
        or is_move_to_removable
        or is_web_upload
        or is_mail_with_attachments
        or is_mail_outside
        or is_print
        or is_usb_blocked
        or is_clipboard_file
        or is_share_write as is_risk
    from flagged_records
),

risks_per_terminal_user as (
    select
        tmid,
        login,
        count(*) filter (where is_copy_to_removable) as copies_to_removable,
        count(*) filter (where is_move_to_removable) as moves_to_removable,
        count(*) filter (where is_web_upload) as web_uploads,
        coalesce(sum(web_upload_size), 0) as web_upload_bytes,
        count(*) filter (where is_mail_with_attachments) as mails_with_attachments,
        count(*) filter (where is_mail_outside) as mails_outside,
        count(*) filter (where is_print) as print_jobs,
        coalesce(sum(printed_pages), 0) as print_pages,
        count(*) filter (where is_usb_blocked) as usb_blocked,
        count(*) filter (where is_clipboard_file) as clipboard_files,
        count(*) filter (where is_share_write) as share_writes,
        count(*) filter (where is_risk) as risk_records
    from risky_records
    group by tmid, login
    having count(*) filter (where is_risk) > 0
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

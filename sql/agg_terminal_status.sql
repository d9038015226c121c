-- Terminal status: per service day and TMID, for every terminal of the contract that
-- uploaded on or before the day (within the raw store's year):
--   computer, agent_version   of its latest upload
--   last_upload_at/_day       its latest upload (sent_at) and that upload's service day
--   days_silent               days from that service day to the built day (0: uploaded)
--   state                     `diagnosing` while a diagnostic bundle it sent by the day's end
--                             is pending; otherwise the state of its latest AGENT record
--                             (by seq) on the day or on its previous upload day
--   uploads, records          on the built day
--   lost_records              records lost before they reached the service: the gaps between
--                             the day's seqs in order, the first measured from the
--                             last seq of the terminal's previous upload day (unless that is
--                             not below the day's first seq, e.g. after a reinstall)
-- Reads day_uploads, day_record_groups, day_device_records, history_uploads,
-- history_records, pending_diag;
-- binds $support_id, $day, $build_id.

with uploads_today as (
    select
        tmid,
        count(*) as uploads,
        max(sent_at) as last_upload_at,
        first(computer order by sent_at desc, upload_key desc) as computer,
        first(agent_version order by sent_at desc, upload_key desc) as agent_version
    from day_uploads
    group by tmid
),

uploads_before as (
    select
        tmid,
        max(day) as last_upload_day,
        max(sent_at) as last_upload_at,
        first(computer order by sent_at desc, upload_key desc) as computer,
        first(agent_version order by sent_at desc, upload_key desc) as agent_version
    from history_uploads
    group by tmid
),

records_today as (
    select tmid, sum(records) as records
    from day_record_groups
    group by tmid
),

agent_records as (
    select tmid, seq, upload_key, line_no, detail
    from day_device_records
    where type = 'AGENT'
    union all
    select tmid, seq, upload_key, line_no, detail
    from history_records
    where type = 'AGENT'
),

agent_states as (
    select
        tmid,
        first(
            json_extract_string(detail, '$.state') order by seq desc, upload_key desc, line_no desc
        ) as state
    from agent_records
    group by tmid
),

seq_ranges_today as (
    select
        tmid,
        cast(min(first_seq) as hugeint) as first_seq,
        cast(max(last_seq) as hugeint) as last_seq,
        sum(records) as seqs
    from day_record_groups
    group by tmid
),

last_seq_before as (
    select tmid, cast(max(seq) as hugeint) as last_seq_before
    from history_records
    group by tmid
),

-- A terminal's seqs are unique (a re-sent upload is dropped at landing), so the gaps between
-- them in order add up to the range they span less the records (no sort of the day needed).
lost_per_terminal as (
    select
        seq_ranges_today.tmid,
        cast(
            greatest(
                case
                    when last_seq_before.last_seq_before < seq_ranges_today.first_seq
                        then
                            seq_ranges_today.last_seq
                            - last_seq_before.last_seq_before
                            - seq_ranges_today.seqs
                    else
                        seq_ranges_today.last_seq
                        - seq_ranges_today.first_seq
                        + 1
                        - seq_ranges_today.seqs
                end,
                0
            ) as bigint
        ) as lost_records
    from seq_ranges_today
    left join last_seq_before using (tmid)
),

terminals as (
    select
        tmid,
        coalesce(uploads_today.computer, uploads_before.computer) as computer,
        coalesce(uploads_today.agent_version, uploads_before.agent_version) as agent_version,
        coalesce(uploads_today.last_upload_at, uploads_before.last_upload_at) as last_upload_at,
        case
            when uploads_today.tmid is not null then cast($day as date)
            else uploads_before.last_upload_day
        end as last_upload_day,
        coalesce(uploads_today.uploads, 0) as uploads
    from uploads_today
    full join uploads_before using (tmid)
)

select
    $support_id as support_id,
    $day as day,
    terminals.tmid,
    terminals.computer,
    terminals.agent_version,
    case
        when pending_diag.tmid is not null then 'diagnosing'
        else agent_states.state
    end as state,
    terminals.last_upload_at,
    terminals.last_upload_day,
    cast($day as date) - terminals.last_upload_day as days_silent,
    terminals.uploads,
    coalesce(records_today.records, 0) as records,
    coalesce(lost_per_terminal.lost_records, 0) as lost_records,
    $build_id as build_id
from terminals
left join records_today using (tmid)
left join agent_states using (tmid)
left join lost_per_terminal using (tmid)
left join pending_diag using (tmid)
order by terminals.tmid;

-- USB devices: per service day and device `VID:PID:serial` (VID and PID upper-cased), its
-- name (the latest non-empty one) and class, the terminals and users it met, connects,
-- disconnects, blocks, and the first and last time it was seen.
-- Reads day_device_records (sql/dashboard_day_tables.sql); binds $support_id, $day,
-- $build_id.

with usb_events as (
    select
        tmid,
        login,
        type,
        time,
        seq,
        upper(coalesce(json_extract_string(detail, '$.vid'), '')) as vid,
        upper(coalesce(json_extract_string(detail, '$.pid'), '')) as pid,
        coalesce(json_extract_string(detail, '$.serial'), '') as serial,
        nullif(json_extract_string(detail, '$.name'), '') as name,
        nullif(json_extract_string(detail, '$.class'), '') as device_class
    from day_device_records
    where type in ('USB_CONNECT', 'USB_DISCONNECT', 'USB_BLOCKED')
),

events_per_device as (
    select
        vid || ':' || pid || ':' || serial as device,
        vid,
        pid,
        serial,
        first(name order by time desc, tmid, seq desc) filter (where name is not null) as name,
        first(device_class order by time desc, tmid, seq desc) filter (
            where device_class is not null
        ) as class,
        count(distinct tmid) as terminals,
        count(distinct login) filter (where login <> '') as users,
        count(*) filter (where type = 'USB_CONNECT') as connects,
        count(*) filter (where type = 'USB_DISCONNECT') as disconnects,
        count(*) filter (where type = 'USB_BLOCKED') as blocks,
        min(time) as first_seen_at,
        max(time) as last_seen_at
    from usb_events
    group by vid, pid, serial
)

select
    $support_id as support_id,
    $day as day,
    events_per_device.*,
    $build_id as build_id
from events_per_device
order by events_per_device.device;

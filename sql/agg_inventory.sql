-- Inventory: per service day and TMID, the terminal's latest INVENTORY record of the day
-- (by seq): manufacturer, model, OS name, version and build, IPs, MACs, drives, the number
-- of installed applications, and the update installed last (latest `installed` date; the
-- greatest KB on a tie). Terminals that sent no inventory that day have no row. `ips`,
-- `macs` and `drives` are JSON lists (see storage/aggregates/schemas.py).
-- Reads day_device_records, day_uploads; binds $support_id, $day, $build_id.

with latest_inventory as (
    select
        tmid,
        first(time order by seq desc, upload_key desc, line_no desc) as inventory_at,
        first(detail order by seq desc, upload_key desc, line_no desc) as detail
    from day_device_records
    where type = 'INVENTORY'
    group by tmid
),

latest_computer as (
    select tmid, first(computer order by sent_at desc, upload_key desc) as computer
    from day_uploads
    group by tmid
),

installed_updates as (
    select
        latest_inventory.tmid,
        installed_update.kb,
        try_cast(installed_update.installed as date) as installed
    from latest_inventory,
        unnest(
            from_json(
                json_extract(latest_inventory.detail, '$.updates'),
                '[{"kb": "VARCHAR", "installed": "VARCHAR"}]'
            )
        ) as updates (installed_update)
),

latest_updates as (
    select
        tmid,
        first(kb order by installed desc nulls last, kb desc) as latest_update,
        max(installed) as latest_update_installed
    from installed_updates
    group by tmid
)

select
    $support_id as support_id,
    $day as day,
    latest_inventory.tmid,
    latest_computer.computer,
    latest_inventory.inventory_at,
    json_extract_string(latest_inventory.detail, '$.manufacturer') as manufacturer,
    json_extract_string(latest_inventory.detail, '$.model') as model,
    json_extract_string(latest_inventory.detail, '$.os.name') as os_name,
    json_extract_string(latest_inventory.detail, '$.os.version') as os_version,
    json_extract_string(latest_inventory.detail, '$.os.build') as os_build,
    to_json(coalesce(json_extract_string(latest_inventory.detail, '$.ip[*]'), []))::varchar as ips,
    to_json(coalesce(json_extract_string(latest_inventory.detail, '$.mac[*]'), []))::varchar as macs,
    to_json(
        coalesce(
            from_json(
                json_extract(latest_inventory.detail, '$.drives'),
                '[{"letter": "VARCHAR", "type": "VARCHAR", "size": "BIGINT", "free": "BIGINT"}]'
            ),
            []
        )
    )::varchar as drives,
    coalesce(json_array_length(latest_inventory.detail, '$.apps'), 0) as app_count,
    latest_updates.latest_update,
    latest_updates.latest_update_installed,
    $build_id as build_id
from latest_inventory
left join latest_computer using (tmid)
left join latest_updates using (tmid)
order by latest_inventory.tmid;

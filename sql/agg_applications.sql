-- Applications: per service day and process image name (lower-cased: Windows names are
-- case-insensitive), the records naming it, its starts, and the terminals and users behind
-- them. The agent's own records (AGENT, INVENTORY) are not application use.
-- Reads day_record_groups; binds $support_id, $day, $build_id.

with records_per_process as (
    select
        process,
        sum(records) as records,
        coalesce(sum(records) filter (where type = 'APP_START'), 0) as starts,
        count(distinct tmid) as terminals,
        count(distinct login) filter (where login <> '') as users
    from day_record_groups
    where coalesce(process, '') <> '' and type_group <> 'agent'
    group by process
)

select
    $support_id as support_id,
    $day as day,
    records_per_process.*,
    $build_id as build_id
from records_per_process
order by records_per_process.process;

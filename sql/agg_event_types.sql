-- Event types: per service day and type code, the records, terminals and users.
-- Reads day_record_groups (sql/dashboard_day_tables.sql); binds $support_id, $day, $build_id.

with records_by_type as (
    select
        type,
        any_value(type_group) as type_group,
        sum(records) as records,
        count(distinct tmid) as terminals,
        count(distinct login) filter (where login <> '') as users
    from day_record_groups
    group by type
)

select
    $support_id as support_id,
    $day as day,
    records_by_type.type,
    records_by_type.type_group,
    records_by_type.records,
    records_by_type.terminals,
    records_by_type.users,
    $build_id as build_id
from records_by_type
order by records_by_type.type;

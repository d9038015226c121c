-- Web domains: per service day and host name (lower-cased, without user info or port) of
-- WEB_ACCESS / WEB_UPLOAD / WEB_DOWNLOAD urls: accesses, uploads (and their bytes),
-- downloads, terminals and users. A url with no host is left out.
-- Reads day_risk_web_groups (sql/dashboard_day_tables.sql); binds $support_id, $day,
-- $build_id.

with records_per_domain as (
    select
        domain,
        coalesce(sum(records) filter (where type = 'WEB_ACCESS'), 0) as accesses,
        coalesce(sum(records) filter (where type = 'WEB_UPLOAD'), 0) as uploads,
        coalesce(sum(records) filter (where type = 'WEB_DOWNLOAD'), 0) as downloads,
        coalesce(sum(upload_bytes) filter (where type = 'WEB_UPLOAD'), 0) as upload_bytes,
        count(distinct tmid) as terminals,
        count(distinct login) filter (where login <> '') as users
    from day_risk_web_groups
    where type in ('WEB_ACCESS', 'WEB_UPLOAD', 'WEB_DOWNLOAD') and coalesce(domain, '') <> ''
    group by domain
)

select
    $support_id as support_id,
    $day as day,
    records_per_domain.*,
    $build_id as build_id
from records_per_domain
order by records_per_domain.domain;

-- Web domains: per service day and host name (lower-cased, without user info or port) of
-- WEB_ACCESS / WEB_UPLOAD / WEB_DOWNLOAD urls: accesses, uploads (and their bytes),
-- downloads, terminals and users. A url with no host is left out.
-- Reads day_records; binds $support_id, $day, $build_id.

with web_records as (
    select
        tmid,
        login,
        type,
        lower(
            regexp_extract(
                json_extract_string(detail, '$.url'),
                '^[A-Za-z][A-Za-z0-9+.-]*://(?:[^/?#@]*@)?([^/?#:]+)',
                1
            )
        ) as domain,
        try_cast(json_extract_string(detail, '$.size') as bigint) as size
    from day_records
    where type in ('WEB_ACCESS', 'WEB_UPLOAD', 'WEB_DOWNLOAD')
),

records_per_domain as (
    select
        domain,
        count(*) filter (where type = 'WEB_ACCESS') as accesses,
        count(*) filter (where type = 'WEB_UPLOAD') as uploads,
        count(*) filter (where type = 'WEB_DOWNLOAD') as downloads,
        coalesce(sum(size) filter (where type = 'WEB_UPLOAD'), 0) as upload_bytes,
        count(distinct tmid) as terminals,
        count(distinct login) filter (where login <> '') as users
    from web_records
    where coalesce(domain, '') <> ''
    group by domain
)

select
    $support_id as support_id,
    $day as day,
    records_per_domain.*,
    $build_id as build_id
from records_per_domain
order by records_per_domain.domain;

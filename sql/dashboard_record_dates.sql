-- The Japan calendar dates the built day's records fall on (a service day spans two, more
-- when a PC clock is off): the build looks their public holidays up.

select distinct cast(local_time as date) as local_date
from committed_day_records
order by local_date;

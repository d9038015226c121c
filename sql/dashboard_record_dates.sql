-- The Japan calendar dates the built day's records fall on (a service day spans two, more
-- when a PC clock is off): the build looks their public holidays up.

select distinct local_date
from day_record_groups
order by local_date;

"""The sensors of the code location, one module each: the inbox sensor (landing runs for
service days with new files), the late-landing sensor (re-runs of closed days that gained
uploads), and the operator notices of a failed run and of a daily file missing at its
deadline. Their decisions are pure functions in transforms/, their reads in
storage/sensor_reads.py."""

from pipelines.sensors.daily_deadline import build_daily_deadline_sensor, daily_deadline
from pipelines.sensors.failure_notice import build_run_failure_notice_sensor
from pipelines.sensors.inbox import build_inbox_sensor
from pipelines.sensors.late_landing import build_late_landing_sensor, stale_later_days

__all__ = [
    "build_daily_deadline_sensor",
    "build_inbox_sensor",
    "build_late_landing_sensor",
    "build_run_failure_notice_sensor",
    "daily_deadline",
    "stale_later_days",
]

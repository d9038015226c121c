"""Operator notices: a failed run, and a daily file missing at its deadline, each reach the
operator through the notifier (here its outbox folder) once, within one sensor tick."""

from __future__ import annotations

import datetime as dt
import email
from email import policy

import dagster as dg

from assets.delivery import build as deliverables
from assets.resources import Clock, Notifier
from pipelines import notices, sensors
from pipelines.definitions import build_definitions
from pipelines.jobs import spot_30_days
from storage.notices import OutboxSender
from storage.roots import Root
from tests.conftest import storage_for

CRON = "0 6 * * *"
GRACE = dt.timedelta(minutes=60)


def outbox(folder) -> list[email.message.EmailMessage]:
    return [
        email.message_from_bytes(p.read_bytes(), policy=policy.default)
        for p in sorted(folder.glob("*.eml"))
    ]


def test_a_failed_run_sends_the_operator_one_notice(landed, tmp_path, monkeypatch):
    monkeypatch.setenv("IT360_OPERATOR_EMAIL", "ops@example.co.jp")
    base, _ = landed
    config = {
        "ops": {
            "spot_30_days": {
                "config": {
                    "support_id": "S0002",
                    "first_day": "2024-03-19",
                    "last_day": "2024-03-01",
                }
            }
        }
    }
    resources = {
        "storage": storage_for(base),
        "clock": Clock(fixed="2024-03-22T06:00:00+09:00"),
        "notifier": Notifier(outbox=str(tmp_path / "outbox")),
    }
    sensor = sensors.build_run_failure_notice_sensor(60)
    with dg.instance_for_test() as instance:
        result = spot_30_days.execute_in_process(
            run_config=config, instance=instance, resources=resources, raise_on_error=False
        )
        assert not result.success
        run = instance.get_run_by_id(result.run_id)
        failure = instance.all_logs(result.run_id, of_type=dg.DagsterEventType.RUN_FAILURE)[0]
        for _ in range(2):  # evaluated twice (a retried tick): still one notice
            context = dg.build_run_status_sensor_context(
                sensor_name="run_failure_notice",
                dagster_event=failure.dagster_event,
                dagster_instance=instance,
                dagster_run=run,
                resources={"notifier": resources["notifier"]},
            )
            sensor(context.for_run_failure())
    [notice] = outbox(tmp_path / "outbox")
    assert notice["To"] == "ops@example.co.jp"
    assert notice["X-IT360-Kind"] == "run_failure"
    assert notice["Subject"] == "[IT360] run failed: spot_30_days"
    body = notice.get_content()
    assert result.run_id in body
    assert "last_day 2024-03-01 is before first_day 2024-03-19" in body


def test_the_deadline_is_d_plus_2_at_publication_time_plus_grace():
    deadline = sensors.daily_deadline(dt.date(2024, 3, 18), CRON, GRACE)
    assert deadline == dt.datetime(2024, 3, 19, 22, 0, tzinfo=dt.UTC)  # 2024-03-20 07:00 JST
    later = sensors.daily_deadline(dt.date(2024, 3, 18), "30 9 * * *", dt.timedelta(0))
    assert later == dt.datetime(2024, 3, 20, 0, 30, tzinfo=dt.UTC)


def tick(sensor, base, outbox_folder, now: str, cursor: str | None):
    resources = {
        "storage": storage_for(base),
        "clock": Clock(fixed=now),
        "notifier": Notifier(outbox=str(outbox_folder)),
    }
    with (
        dg.instance_for_test() as instance,
        dg.build_sensor_context(instance=instance, cursor=cursor, resources=resources) as context,
    ):
        result = sensor.evaluate_tick(context)
        return result, context.cursor


def test_a_missing_daily_file_is_notified_once_after_its_deadline(landed, tmp_path):
    base, _ = landed
    box = tmp_path / "outbox"
    sensor = sensors.build_daily_deadline_sensor(60, CRON, GRACE)
    # 2024-03-18's deadline is 2024-03-20 07:00 JST: not yet.
    _, cursor = tick(sensor, base, box, "2024-03-20T06:59:00+09:00", None)
    assert outbox(box) == []
    # Past it, with nothing published: one notice per contract with the option and uploads.
    result, cursor = tick(sensor, base, box, "2024-03-20T07:01:00+09:00", cursor)
    notices_sent = outbox(box)
    assert sorted(n["X-IT360-Support-Id"] for n in notices_sent) == ["S0001", "S0002"]
    assert all(n["X-IT360-Kind"] == "missing_deliverable" for n in notices_sent)
    assert all(n["To"] == notices.DEFAULT_OPERATOR for n in notices_sent)
    assert "2024-03-18" in notices_sent[0]["Subject"]
    assert "notified the operator of 2 missing" in result.skip_message
    # Again, later: the cursor says they were sent.
    _, cursor = tick(sensor, base, box, "2024-03-20T08:00:00+09:00", cursor)
    assert len(outbox(box)) == 2
    # 2024-03-19 published for both, then one file lost from the customer's folder.
    roots = deliverables.Roots(Root(str(base / "warehouse")), Root(str(base / "delivery")))
    now = dt.datetime(2024, 3, 21, 6, 0, tzinfo=dt.UTC)
    contracts = storage_for(base).load_contracts()
    sender = OutboxSender(Root(str(tmp_path / "customer-notices")), folder="")
    deliverables.publish_daily_files(roots, contracts, dt.date(2024, 3, 19), now, sender)
    (base / "delivery" / "it360-log" / "S0002" / "2024-03-19.zip").unlink()
    _, cursor = tick(sensor, base, box, "2024-03-21T07:01:00+09:00", cursor)
    new = [n for n in outbox(box) if "2024-03-19" in n["Subject"]]
    assert [n["X-IT360-Support-Id"] for n in new] == ["S0002"]
    assert "published, but not in the folder" in new[0].get_content()


def test_the_notice_sensors_are_in_the_code_location(monkeypatch):
    monkeypatch.setenv("IT360_NOTICE_INTERVAL_SECONDS", "45")
    found = {s.name: s for s in build_definitions().sensors}
    assert found["run_failure_notice"].minimum_interval_seconds == 45
    assert found["daily_deliverable_deadline"].minimum_interval_seconds == 45


def test_the_default_outbox_is_outside_the_encrypted_warehouse(monkeypatch, tmp_path):
    from pipelines.resources import build_notifier, env_setting

    monkeypatch.delenv("IT360_OUTBOX", raising=False)
    monkeypatch.delenv("IT360_SMTP", raising=False)
    monkeypatch.setenv("IT360_WAREHOUSE", str(tmp_path / "warehouse"))
    outbox = Root(build_notifier(env_setting).outbox).url()
    warehouse = Root(str(tmp_path / "warehouse")).url()
    assert not outbox.startswith(warehouse)  # plain .eml files never land in it
    monkeypatch.setenv("IT360_OUTBOX", str(tmp_path / "mail"))
    assert build_notifier(env_setting).outbox == str(tmp_path / "mail")
    bound = build_notifier()  # the Definitions' notifier: the setting as an EnvVar, read in runs
    assert isinstance(bound.outbox, dg.EnvVar) and bound.outbox == "IT360_OUTBOX"


def test_the_smtp_password_is_bound_from_the_environment_never_written_in(monkeypatch):
    from pipelines.resources import build_notifier

    monkeypatch.setenv("IT360_SMTP", "mail.example:587")
    monkeypatch.setenv("IT360_SMTP_PASSWORD", "s3cret")
    notifier = build_notifier()
    assert isinstance(notifier.smtp_password, dg.EnvVar) and "s3cret" not in repr(notifier)

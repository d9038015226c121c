"""The delivery asset, the spot jobs and the publication schedule, through Dagster."""

import datetime as dt

import dagster as dg
import pytest

from assets.delivery.publish import daily_deliverable
from assets.resources import Clock, Notifier
from pipelines.definitions import build_definitions
from pipelines.jobs import expire_deliverables, spot_1_year, spot_30_days
from pipelines.schedules import build_daily_publication_schedule
from storage import duck
from storage.roots import Root
from tests.conftest import storage_for

NOW = "2024-03-22T06:00:00+09:00"
LATER = "2024-03-22T07:00:00+09:00"


def resources(base, now=NOW):
    return {
        "storage": storage_for(base),
        "clock": Clock(fixed=now),
        "notifier": Notifier(outbox=str(base / "outbox")),
    }


def test_daily_asset_publishes_once_then_reports_late_uploads(landed):
    base, _manifest = landed
    with dg.instance_for_test() as instance:
        first = dg.materialize(
            [daily_deliverable],
            partition_key="2024-03-18",
            instance=instance,
            resources=resources(base),
        )
        assert first.success
        meta = first.asset_materializations_for_node("daily_deliverable")[0].metadata
        options = [
            s
            for s in ("S0001", "S0002", "S0003")
            if (base / "delivery" / "it360-log" / s / "2024-03-18.zip").exists()
        ]
        assert meta["run_published"].value == len(options) == 2  # the third contract has no option
        path = base / "delivery" / "it360-log" / "S0001" / "2024-03-18.zip"
        stamp = path.stat().st_mtime_ns
        again = dg.materialize(
            [daily_deliverable],
            partition_key="2024-03-18",
            instance=instance,
            resources=resources(base),
        )
        meta = again.asset_materializations_for_node("daily_deliverable")[0].metadata
        assert (
            meta["run_published"].value == 0 and path.stat().st_mtime_ns == stamp
        )  # not rewritten
        # the day's files first, then this run's (none): the order the UI shows
        assert list(meta)[:2] == ["day_daily_files", "day_late_uploads"]
        assert meta["day_daily_files"].value == 2
        checks = again.get_asset_check_evaluations()
        assert [c.passed for c in checks] == [True]
        config = {"ops": {"daily_deliverable": {"config": {"republish": True}}}}
        forced = dg.materialize(
            [daily_deliverable],
            partition_key="2024-03-18",
            instance=instance,
            resources=resources(base, LATER),
            run_config=config,
        )
        meta = forced.asset_materializations_for_node("daily_deliverable")[0].metadata
        assert meta["run_published"].value == 2 and path.stat().st_mtime_ns != stamp
    assert len(list((base / "outbox").glob("*.eml"))) == 4  # one notice per publication


@pytest.mark.parametrize(
    ("now", "published"),
    [
        ("2024-03-19T23:59:59+09:00", False),  # D+1 in Japan: the day's last uploads may come
        ("2024-03-19T15:00:00+00:00", True),  # 00:00 on D+2 in Japan (UTC still says D+1)
    ],
)
def test_a_daily_file_is_published_from_d_plus_2_in_japan_never_before(landed, now, published):
    base, _manifest = landed
    with dg.instance_for_test() as instance:
        result = dg.materialize(
            [daily_deliverable],
            partition_key="2024-03-18",
            instance=instance,
            resources=resources(base, now),
            raise_on_error=False,
        )
    assert result.success is published
    delivered = sorted(p.name for p in (base / "delivery").rglob("*.zip"))
    assert delivered == (["2024-03-18.zip"] * 2 if published else [])
    if not published:
        failure = result.get_step_failure_events()[0].step_failure_data.user_failure_data
        assert "published from 2024-03-20 (Japan time)" in failure.description
        con = duck.connect(Root(str(base / "warehouse")))
        assert con.execute("select count(*) from publications").fetchone()[0] == 0
        assert not list((base / "outbox").glob("*.eml"))


def test_a_file_published_without_a_notice_address_is_reported(landed):
    import yaml

    base, _manifest = landed
    path = base / "contracts.yaml"
    document = yaml.safe_load(path.read_text())
    for contract in document["contracts"]:
        if contract["support_id"] == "S0001":
            contract.pop("notify_to", None)
    path.write_text(yaml.safe_dump(document))
    with dg.instance_for_test() as instance:
        result = dg.materialize(
            [daily_deliverable],
            partition_key="2024-03-18",
            instance=instance,
            resources=resources(base),
        )
    meta = result.asset_materializations_for_node("daily_deliverable")[0].metadata
    assert meta["run_published"].value == 2
    [silent] = meta["run_not_notified"].value
    assert silent.endswith("it360-log/S0001/2024-03-18.zip")
    assert len(list((base / "outbox").glob("*.eml"))) == 1  # the other contract's notice


def test_spot_30_days_job_with_its_run_config(landed):
    base, _ = landed
    config = {
        "ops": {
            "spot_30_days": {
                "config": {
                    "support_id": "S0002",
                    "first_day": "2024-03-17",
                    "last_day": "2024-03-19",
                }
            }
        }
    }
    result = spot_30_days.execute_in_process(run_config=config, resources=resources(base))
    assert result.success
    files = sorted(p.name for p in (base / "delivery" / "it360-log" / "S0002").iterdir())
    assert files and all(f.endswith("_SP.zip") for f in files)


def test_a_refused_order_fails_the_run_with_the_reason_and_writes_nothing(landed):
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
    result = spot_30_days.execute_in_process(
        run_config=config, resources=resources(base), raise_on_error=False
    )
    assert not result.success
    failure = result.get_step_failure_events()[0].step_failure_data.error
    assert "last_day 2024-03-01 is before first_day 2024-03-19" in failure.message
    assert not (base / "delivery").exists()


@pytest.mark.parametrize(
    ("job", "fields", "refusal"),
    [
        (
            spot_30_days,
            {"support_id": "S0002", "first_day": "2024-03-17", "last_day": "2024-03-32"},
            "order refused: last_day: '2024-03-32' is not a day YYYY-MM-DD",
        ),
        (
            spot_1_year,
            {"support_id": "S0001", "tmid": "T", "computer": "PC", "provided_day": "03/23"},
            "order refused: provided_day: '03/23' is not a day YYYY-MM-DD",
        ),
    ],
)
def test_a_day_that_is_not_one_is_refused_naming_its_field_once(landed, job, fields, refusal):
    base, _ = landed
    result = job.execute_in_process(
        run_config={"ops": {job.name: {"config": fields}}},
        resources=resources(base),
        raise_on_error=False,
    )
    assert not result.success
    (failure,) = result.get_step_failure_events()  # refused once: no retry
    assert refusal in failure.step_failure_data.user_failure_data.description
    assert "STEP_UP_FOR_RETRY" not in [e.event_type_value for e in result.all_events]


def test_spot_1_year_job_and_its_refusal(landed):
    base, manifest = landed
    entry = manifest.select(outcome="landed", support_id="S0001")[0]
    ok = {
        "ops": {
            "spot_1_year": {
                "config": {
                    "support_id": "S0001",
                    "tmid": entry.tmid,
                    "computer": entry.computer or "_",
                }
            }
        }
    }
    result = spot_1_year.execute_in_process(
        run_config=ok, resources=resources(base), raise_on_error=False
    )
    assert result.success == (entry.computer is not None)
    files = list((base / "delivery" / "it360-log" / "S0001").glob("*_AllData_2024-03-22.zip"))
    assert len(files) == (1 if entry.computer else 0)
    bad = {
        "ops": {
            "spot_1_year": {
                "config": {
                    "support_id": "S0001",
                    "tmid": entry.tmid,
                    "computer": "WRONG-PC",
                    "provided_day": "2024-03-23",
                }
            }
        }
    }
    result = spot_1_year.execute_in_process(
        run_config=bad, resources=resources(base), raise_on_error=False
    )
    assert not result.success
    assert "WRONG-PC" in result.get_step_failure_events()[0].step_failure_data.error.message


def output_metadata(result: dg.ExecuteInProcessResult) -> dict:
    (event,) = [e for e in result.all_events if e.event_type_value == "STEP_OUTPUT"]
    return {k: v.value for k, v in event.event_specific_data.metadata.items()}


def test_expire_job_uses_the_clock_and_says_what_it_deleted(landed):
    base, _ = landed
    with dg.instance_for_test() as instance:
        dg.materialize(
            [daily_deliverable],
            partition_key="2024-03-19",
            instance=instance,
            resources=resources(base),
        )
    early = expire_deliverables.execute_in_process(
        resources=resources(base, "2024-04-20T00:00:00+09:00")
    )
    assert early.success
    assert len(list((base / "delivery" / "it360-log").rglob("*.zip"))) == 2
    assert output_metadata(early)["summary"] == (
        "nothing to delete: no deliverable reached 30 days after publication, "
        "by 2024-04-19T15:00:00+00:00"
    )
    late = expire_deliverables.execute_in_process(
        resources=resources(base, "2024-04-22T07:00:00+09:00")
    )
    assert late.success
    assert list((base / "delivery" / "it360-log").rglob("*.zip")) == []
    assert output_metadata(late)["deleted"] == 2
    assert output_metadata(late)["summary"] == (
        "deleted 2 deliverables 30 days after publication, by 2024-04-21T22:00:00+00:00"
    )
    con = duck.connect(Root(str(base / "warehouse")))
    assert con.execute(
        "select count(*) from publications where expired_at is not null"
    ).fetchone() == (2,)


@pytest.mark.parametrize(
    ("tick", "day"),
    [("2024-03-20T06:00:00+09:00", "2024-03-18"), ("2024-01-01T06:00:00+09:00", "2023-12-30")],
)
def test_the_schedule_publishes_day_d_on_d_plus_2(tick, day):
    schedule = build_daily_publication_schedule("0 6 * * *")
    assert schedule.execution_timezone == "Asia/Tokyo"
    context = dg.build_schedule_context(
        scheduled_execution_time=dt.datetime.fromisoformat(tick),
        repository_def=build_definitions().get_repository_def(),
    )
    request = schedule.evaluate_tick(context).run_requests[0]
    assert request.partition_key == day
    assert request.run_key == f"publish-{day}"

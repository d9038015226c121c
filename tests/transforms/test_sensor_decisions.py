"""The sensors' decisions as pure functions: which days get landing runs, which finished runs
bring a day back, which re-runs a closed day needs, which daily files are missing by their
deadline. Plain values in, decisions out: no Dagster, no storage."""

import datetime as dt
from collections import Counter

from transforms import daily_deadline as deadlines
from transforms import late_landing
from transforms.inbox_runs import landing_runs, pending_days
from transforms.late_landing import FinishedRun, LateDay, Rerun

FIRST_DAY = dt.date(2023, 1, 1)  # the suite's first service day (tests/conftest.py)

TMID = "0123ABCD-4567-89EF-ABCD-0123456789AB"
OTHER = "FFFFABCD-4567-89EF-ABCD-0123456789AB"
UID = "a" * 16 + "B" * 16
NOW = dt.datetime(2024, 3, 20, 6, tzinfo=dt.UTC)  # service day 2024-03-20 in Japan
D18, D19, D20 = dt.date(2024, 3, 18), dt.date(2024, 3, 19), dt.date(2024, 3, 20)
S0001 = frozenset({"S0001"})


def upload(sent15: str, tmid: str = TMID, uid: str = UID, sid: str = "S0001") -> str:
    return f"{sid}/{tmid}_{sent15}-{uid}.zip"


# -- the inbox sensor ------------------------------------------------------------------------


def test_waiting_files_are_grouped_by_day_and_a_digest_changes_with_them():
    listing = {upload("202403180900001"): 10, upload("202403190900001"): 10}
    pending = pending_days(listing, frozenset({"S0001"}), NOW, FIRST_DAY)
    assert set(pending) == {"2024-03-18", "2024-03-19"}
    grown = pending_days(
        {**listing, upload("202403180900001", uid="c" * 32): 5}, S0001, NOW, FIRST_DAY
    )
    assert grown["2024-03-19"] == pending["2024-03-19"]
    assert grown["2024-03-18"] != pending["2024-03-18"]
    resized = pending_days({**listing, upload("202403180900001"): 11}, S0001, NOW, FIRST_DAY)
    assert resized["2024-03-18"] != pending["2024-03-18"]  # a file rewritten in place


def test_uploads_of_days_before_the_first_service_day_go_to_todays_run():
    # No partition exists for them, so no run of their own day could ever land them: today's
    # run quarantines them (day_out_of_range) instead of leaving them waiting.
    listing = {upload("202403100900001"): 10, upload("202403180900001"): 10}
    assert set(pending_days(listing, S0001, NOW, D18)) == {"2024-03-20", "2024-03-18"}
    assert set(pending_days(listing, S0001, NOW, FIRST_DAY)) == {"2024-03-10", "2024-03-18"}


def test_bundles_and_refused_files_go_to_todays_run_and_dot_files_are_ignored():
    listing = {
        f"S0001/diag/{TMID}_202403180900001-{UID}.zip": 1,
        "S9999/whatever.zip": 1,  # no such contract: refused, settled by any run
        f"S0001/.{TMID}_202403180900001-{UID}.zip": 1,  # an uploader's temporary
    }
    assert set(pending_days(listing, frozenset({"S0001"}), NOW, FIRST_DAY)) == {"2024-03-20"}
    assert pending_days({"S0001/.tmp": 1}, frozenset({"S0001"}), NOW, FIRST_DAY) == {}


def test_entries_that_are_no_regular_file_go_to_todays_run_and_empty_folders_wait():
    """A link named as an upload of the 18th is no upload: any run settles it, so today's."""
    link, fifo = upload("202403180900001"), upload("202403180900002")
    not_files = {
        link: "a symbolic link",
        fifo: "a FIFO",
        "S0001/x.zip/": "an empty folder",
        "S0001/diag/": "an empty folder",  # a contract's own folder: nothing to settle
        "S0001/sub/": "an empty folder",
    }
    listing = dict.fromkeys(not_files, 0)
    pending = pending_days(listing, S0001, NOW, FIRST_DAY, not_files=not_files)
    assert set(pending) == {"2024-03-20"}
    only_real = {link: 0, fifo: 0, "S0001/x.zip/": 0}
    assert pending == pending_days(only_real, S0001, NOW, FIRST_DAY, not_files=not_files)
    assert pending_days({"S0001/sub/": 0}, S0001, NOW, FIRST_DAY, not_files=not_files) == {}


def test_a_run_per_changed_day_keyed_by_its_digest_and_only_for_partitions():
    pending = {"2024-03-18": "aaa", "2024-03-19": "bbb", "2099-01-01": "ccc"}
    runs, cursor = landing_runs(pending, {"2024-03-18": "aaa"}, {"2024-03-18", "2024-03-19"})
    assert [(r.day, r.run_key) for r in runs] == [("2024-03-19", "land-2024-03-19-bbb")]
    assert cursor == pending  # a day not yet a partition is asked for once it is one
    assert landing_runs(pending, cursor, {"2024-03-19", "2099-01-01"})[0] == []


def test_a_day_whose_files_all_landed_leaves_the_cursor():
    runs, cursor = landing_runs({}, {"2024-03-18": "aaa"}, {"2024-03-18"})
    assert runs == [] and cursor == {}


# -- the late-landing sensor: which days finished runs bring back ----------------------------

T0 = dt.datetime(2024, 3, 21, 0, 0, tzinfo=dt.UTC)
WATCHED = frozenset({"land_uploads", "publish_daily", "build_dashboard"})


def finished(run_id: str, job: str, day: str | None, updated_min: int, started_min: int = 0):
    return FinishedRun(
        run_id,
        job,
        day,
        T0 + dt.timedelta(minutes=updated_min),
        T0 + dt.timedelta(minutes=started_min),
    )


def test_without_a_cursor_the_sensor_looks_a_day_back():
    assert late_landing.cursor_start({}, T0) == T0 - dt.timedelta(days=1)
    at = (T0 + dt.timedelta(hours=1)).isoformat()
    assert late_landing.cursor_start({"after": at, "seen": {}}, T0) == T0 + dt.timedelta(hours=1)


def test_a_landing_brings_its_day_back_from_its_start_and_a_build_the_whole_day():
    runs = [
        finished("r1", "land_uploads", "2024-03-18", updated_min=10, started_min=8),
        finished("r2", "land_uploads", "2024-03-18", updated_min=12, started_min=3),
        finished("r3", "build_dashboard", "2024-03-19", updated_min=13),
        finished("r4", "spot_30_days", "2024-03-17", updated_min=14),  # not watched
        finished("r5", "land_uploads", None, updated_min=15),  # no partition
    ]
    days, cursor = late_landing.days_to_look_at(runs, {}, T0, "land_uploads", WATCHED)
    slack = late_landing.CLOCK_SLACK
    assert days == {
        "2024-03-18": T0 + dt.timedelta(minutes=3) - slack,  # the earlier start of the two
        "2024-03-19": late_landing.WHOLE_DAY,
    }
    last = T0 + dt.timedelta(minutes=15)
    assert cursor == {"after": last.isoformat(), "seen": {"r5": last.isoformat()}}


def test_runs_seen_at_the_cursor_are_not_looked_at_twice():
    runs = [finished("r1", "land_uploads", "2024-03-18", updated_min=10)]
    _, cursor = late_landing.days_to_look_at(runs, {}, T0, "land_uploads", WATCHED)
    after = late_landing.cursor_start(cursor, T0)
    again = [*runs, finished("r2", "land_uploads", "2024-03-19", updated_min=10)]
    days, cursor2 = late_landing.days_to_look_at(again, cursor, after, "land_uploads", WATCHED)
    assert set(days) == {"2024-03-19"}  # r2 finished in r1's instant and is not lost
    assert set(cursor2["seen"]) == {"r1", "r2"}


def test_only_closed_days_are_looked_at():
    days = {"2024-03-19": T0, "2024-03-20": T0}
    assert late_landing.closed_days(days, D20) == {"2024-03-19": T0}


# -- the late-landing sensor: which re-runs a closed day needs --------------------------------

SINCE = dt.datetime(2024, 3, 21, tzinfo=dt.UTC)


def landed(sid: str, key: str, batch: str, hours_after_since: int) -> dict:
    at = SINCE + dt.timedelta(hours=hours_after_since)
    return {"support_id": sid, "upload_key": key, "batch_id": batch, "logged_at": at}


ROWS = [
    landed("S1", f"{TMID}_a", "b1", -5),
    landed("S1", f"{TMID}_b", "b2", 1),
    landed("S1", f"{OTHER}_c", "b3", 2),
    landed("S2", f"{OTHER}_d", "b1", -5),  # nothing recent for S2
    landed("S3", f"{OTHER}_e", "b4", 3),  # not a contract any more
]


def test_the_contracts_that_landed_since_are_looked_at():
    assert late_landing.contracts_landed_since(ROWS, SINCE, ["S1", "S2"]) == ["S1"]


def test_a_late_upload_is_one_neither_published_nor_recorded_late():
    s1 = ROWS[:3]
    assert late_landing.late_batch(s1, {f"{TMID}_a"}, set()) == "b3"
    assert late_landing.late_batch(s1, {f"{TMID}_a"}, {f"{OTHER}_c"}) == "b2"
    assert late_landing.late_batch(s1, {f"{TMID}_a", f"{TMID}_b"}, {f"{OTHER}_c"}) is None


def test_a_build_that_counted_fewer_uploads_than_landed_is_rebuilt():
    s1 = ROWS[:3]
    assert late_landing.unbuilt_batch(s1, 2) == "b3"
    assert late_landing.unbuilt_batch(s1, 3) is None
    assert late_landing.unbuilt_batch(s1, None) is None  # never built: its first build will do
    assert late_landing.terminals_landed_since(s1, SINCE) == {TMID, OTHER}


def test_later_days_stop_before_today_and_after_two_weeks():
    assert late_landing.later_days(D18, D20) == [D19]
    later = late_landing.later_days(D18, D18 + dt.timedelta(days=30))
    assert later[0] == D19 and len(later) == late_landing.LATER_DAYS


def test_a_later_build_is_stale_if_it_read_the_day_for_a_terminal_that_landed():
    d21 = dt.date(2024, 3, 21)
    history = {D19: {TMID: [D18]}, D20: {TMID: [D19, D18], OTHER: [D18]}, d21: {TMID: [D20]}}
    assert late_landing.stale_later_days(D18, {TMID}, history) == [D19, D20]
    assert late_landing.stale_later_days(D18, {OTHER}, history) == [D20]
    assert late_landing.stale_later_days(D18, {"NOT-A-TERMINAL"}, history) == []


def test_the_reruns_name_the_newest_batch_behind_them():
    found = LateDay(D18)
    found.add_late("S1", "b2")
    found.add_late("S2", "b7")
    found.add_unbuilt("S1", "b3")
    found.add_stale("S1", [D20, D19])
    found.add_stale("S2", [D20])
    contracts = "S1", "S2"
    assert late_landing.reruns(found) == [
        Rerun("publish", "2024-03-18", "late-publish-2024-03-18-b7", list(contracts)),
        Rerun("dashboard", "2024-03-18", "late-dashboard-2024-03-18-b3", ["S1"]),
        Rerun("dashboard", "2024-03-19", "late-dashboard-2024-03-19-after-2024-03-18-b3", ["S1"]),
        Rerun(
            "dashboard", "2024-03-20", "late-dashboard-2024-03-20-after-2024-03-18-b3", ["S1", "S2"]
        ),
    ]


def test_stale_later_days_alone_ask_for_nothing():
    found = LateDay(D18)
    found.add_stale("S1", [D19])  # only asked for with a rebuild of the day itself
    assert late_landing.reruns(found) == []
    assert late_landing.reruns(LateDay(D18)) == []


# -- the deadline sensor ---------------------------------------------------------------------

AT = dt.datetime(2024, 3, 21, 0, 0, tzinfo=dt.UTC)


def test_the_days_watched_start_at_the_service_and_reach_a_week_back():
    assert deadlines.days_to_watch(D20, D19, 7) == [D19, D20]
    week = deadlines.days_to_watch(D20, dt.date(2024, 1, 1), 7)
    assert week[0] == dt.date(2024, 3, 13) and week[-1] == D20 and len(week) == 8


def test_a_day_is_due_once_its_deadline_came():
    due = {D18: AT - dt.timedelta(seconds=1), D19: AT, D20: AT + dt.timedelta(seconds=1)}
    assert deadlines.past_deadline(due, AT) == {D18: due[D18], D19: due[D19]}


def test_a_days_expiry_is_its_latest_daily_file_and_other_kinds_do_not_count():
    pubs = [
        {"kind": "daily", "file_name": "2024-03-18.zip", "expires_at": AT},
        {"kind": "daily", "file_name": "2024-03-18.zip", "expires_at": AT + dt.timedelta(1)},
        {"kind": "daily", "file_name": "2024-03-18.zip", "expires_at": AT - dt.timedelta(1)},
        {"kind": "spot", "file_name": "2024-03-19_SP.zip", "expires_at": AT},
    ]
    assert deadlines.daily_expiry(pubs) == {D18: AT + dt.timedelta(1)}


def test_published_days_are_looked_for_in_the_folder_and_others_for_uploads():
    expiry = {D18: AT + dt.timedelta(1), D19: AT}  # D19's file expired: deleted on purpose
    assert deadlines.days_to_check([D20, D19, D18], expiry, AT) == ([D18], [D20])


def test_waiting_uploads_are_counted_by_their_day():
    paths = [
        upload("202403180900001"),
        upload("202403180900002", uid="c" * 32),
        upload("202403190900001"),
        f"S0001/diag/{TMID}_202403180900001-{UID}.zip",  # a bundle is no daily file's upload
        f"S0001/.{TMID}_202403180900001-{UID}.zip",
    ]
    assert deadlines.waiting_uploads(paths, frozenset({"S0001"})) == Counter({D18: 2, D19: 1})


def test_a_missing_file_is_one_published_but_gone_or_unpublished_with_uploads():
    missing = deadlines.missing_days(
        in_folder={D18: False, dt.date(2024, 3, 17): True},
        landed={D19: 0, D20: 3, dt.date(2024, 3, 16): 0},
        waiting=Counter({D19: 2}),
    )
    assert missing == [
        (D18, deadlines.NOT_IN_FOLDER),
        (D19, "not published; 0 uploads landed, 2 waiting in the inbox"),
        (D20, "not published; 3 uploads landed, 0 waiting in the inbox"),
    ]


def test_the_cursor_remembers_notices_for_30_days():
    old = deadlines.notice_key("S1", D20 - dt.timedelta(days=31))
    edge = deadlines.notice_key("S1", D20 - dt.timedelta(days=30))
    new = deadlines.notice_key("S2", D18)
    assert new == "S2/2024-03-18"
    assert deadlines.notices_to_keep({new, old, edge}, D20) == [edge, new]


def test_the_decisions_import_no_dagster_no_fsspec_and_nothing_of_the_project_but_transforms():
    """Read from the source (imports, transitively within the project), not from sys.modules,
    which other tests have filled."""
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    todo = ["transforms.inbox_runs", "transforms.late_landing", "transforms.daily_deadline"]
    seen: set[str] = set()
    while todo:
        module = todo.pop()
        if module in seen:
            continue
        seen.add(module)
        tree = ast.parse((root / (module.replace(".", "/") + ".py")).read_text())
        for node in ast.walk(tree):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                # `from transforms import x` may name a module: follow it too
                names = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
            for name in names:
                top = name.split(".")[0]
                assert top not in {"dagster", "fsspec", "storage", "pipelines", "assets"}, (
                    module,
                    name,
                )
                if top == "transforms" and (root / (name.replace(".", "/") + ".py")).exists():
                    todo.append(name)
    assert "transforms.inbox" in seen and "transforms.service_day" in seen

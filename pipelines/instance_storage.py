"""The embedded instance's storage: Dagster's SQLite storage, created by one process at a time.

Dagster creates its SQLite databases (runs, the event index, schedules) on first use and then
stamps each with its schema revision. Two commands started at once on a new `DAGSTER_HOME`
both found no revision, both stamped, and left two `alembic_version` rows, after which every
command failed ("more than one head"). This storage holds an exclusive `flock` on
`$DAGSTER_HOME/.storage.lock` while Dagster opens (and on first use creates) the databases, so
the second command finds them made. Opening an existing instance takes the lock for a moment.
`deploy/dagster.local.yaml` names the instance class that makes it the default storage (Dagster
lets a custom instance class choose its defaults; only there is the storage given the
instance's own folder); production's PostgreSQL storage is Dagster's own. The imports from
Dagster's internal modules are those names' only homes in 1.13 (an upgrade may move them;
tests/pipelines/test_instance_first_use.py uses them through the CLI).
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Mapping
from typing import Any

import yaml
from dagster import DagsterInstance
from dagster._core.instance.ref import InstanceRef
from dagster._core.storage.sqlite_storage import DagsterSqliteStorage
from dagster._serdes import ConfigurableClassData

LOCK_FILE = ".storage.lock"


class SerialisedSqliteStorage(DagsterSqliteStorage):
    """`DagsterSqliteStorage`, whose databases are opened (or created) under a file lock."""

    def __init__(self, base_dir: str, inst_data: Any = None) -> None:
        os.makedirs(base_dir, exist_ok=True)
        fd = os.open(os.path.join(base_dir, LOCK_FILE), os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)  # the kernel drops it if this process dies
            super().__init__(base_dir, inst_data)
        finally:
            os.close(fd)  # closing the file releases the lock

    @classmethod
    def from_config_value(
        cls, inst_data: Any, config_value: Mapping[str, Any]
    ) -> SerialisedSqliteStorage:
        return cls(inst_data=inst_data, **config_value)


class SerialisedSqliteInstance(DagsterInstance):
    """Dagster's instance, with `SerialisedSqliteStorage` as its default storage at the
    instance's own folder (`instance_class` in deploy/dagster.local.yaml; no setting names the
    folder, so `DagsterInstance.from_config(folder)` works as for a plain instance)."""

    @classmethod
    def config_schema(cls) -> dict:
        return {}

    @staticmethod
    def config_defaults(base_dir: str) -> Mapping[str, ConfigurableClassData | None]:
        return {
            **InstanceRef.config_defaults(base_dir),
            "storage": ConfigurableClassData(
                __name__, SerialisedSqliteStorage.__name__, yaml.dump({"base_dir": base_dir})
            ),
        }

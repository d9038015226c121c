"""The embedded instance's storage: Dagster's SQLite storage, created by one process at a time.

Dagster creates its SQLite databases (runs, the event index, schedules) on first use and then
stamps each with its schema revision. Two commands started at once on a new `DAGSTER_HOME`
both found no revision, both stamped, and left two `alembic_version` rows, after which every
command failed ("more than one head"). This storage holds an exclusive `flock` on
`$DAGSTER_HOME/.storage.lock` while Dagster opens (and on first use creates) the databases, so
the second command finds them made. Opening an existing instance takes the lock for a moment.
`deploy/dagster.local.yaml` names it; production's PostgreSQL storage is Dagster's own.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Mapping
from typing import Any

from dagster._core.storage.sqlite_storage import DagsterSqliteStorage

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

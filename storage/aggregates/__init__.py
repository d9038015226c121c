"""The dashboard's aggregate store: one package, one module per job.

- `schemas`: the ten aggregates' columns, stored (list columns as JSON text) and as read, and
  their empty anchor files;
- `builds`: one immutable file per build of a contract-day; the greatest build id is current;
  superseded builds deleted after a grace period;
- `compacted`: each contract's compacted copy of its current builds, and this process's cache
  of decoded copies;
- `portal`: `read_aggregate`, the portal's read path over the copies and the day files;
- `files`: the reading and listing the three above share.

Every path comes from `storage.layout` (`layout.agg_*`). Callers import from
`storage.aggregates` (`from storage import aggregates`), which re-exports the names below, so
the split changed no caller; the modules import each other only in the order
schemas -> files -> builds -> compacted -> portal.
"""

from storage.aggregates.builds import (
    SUPERSEDED_GRACE,
    Part,
    current_build_uploads,
    current_parts,
    list_parts,
    remove_superseded,
    superseded_parts,
    write_aggregate,
)
from storage.aggregates.compacted import (
    COPY_CACHE_BYTES,
    _read_compact,
    expire_compacts,
    forget_cached_copies,
    write_compact,
)
from storage.aggregates.portal import read_aggregate
from storage.aggregates.schemas import (
    JSON_LISTS,
    SCHEMAS,
    TYPE_GROUPS,
    conform,
    ensure_anchors,
    json_columns,
    view_schema,
)

# `_read_compact` stays importable for tests/pipelines/test_dashboard_jobs.py, which reads a
# copy's held days directly.
__all__ = [
    "COPY_CACHE_BYTES",
    "JSON_LISTS",
    "SCHEMAS",
    "SUPERSEDED_GRACE",
    "TYPE_GROUPS",
    "Part",
    "_read_compact",
    "conform",
    "current_build_uploads",
    "current_parts",
    "ensure_anchors",
    "expire_compacts",
    "forget_cached_copies",
    "json_columns",
    "list_parts",
    "read_aggregate",
    "remove_superseded",
    "superseded_parts",
    "view_schema",
    "write_aggregate",
    "write_compact",
]

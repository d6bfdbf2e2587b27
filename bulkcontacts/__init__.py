"""bulkcontacts: move contacts in bulk between files and contact APIs, exactly once.

From Python (the CLI's guarantees, records and exit meanings; see ``api.py``)::

    import bulkcontacts

    result = bulkcontacts.run_job("jobs/import-contacts.toml")
    if result.exit_code:  # 1 rejected rows, 3 run again to resume, 4 fix credentials
        print(result.status, result.message, result.counts)

Everything not in ``__all__`` is private. The names are loaded when first used: importing one module of the
package (the CLI, a Dask worker's task) does not load them all.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.2.0"

_WHERE = {
    "dry_run": "bulkcontacts.api",
    "exit_code": "bulkcontacts.api",
    "job_status": "bulkcontacts.api",
    "load_job": "bulkcontacts.api",
    "run_job": "bulkcontacts.api",
    "run_job_async": "bulkcontacts.api",
    "JobSpec": "bulkcontacts.config.jobs",
    "BulkContactsError": "bulkcontacts.errors",
    "FatalRemoteError": "bulkcontacts.errors",
    "Interrupted": "bulkcontacts.errors",
    "UsageError": "bulkcontacts.errors",
    "DryRunReport": "bulkcontacts.jobs.dry_run",
    "RunResult": "bulkcontacts.jobs.results",
    "PhaseStatus": "bulkcontacts.jobs.status",
}
__all__ = [
    "BulkContactsError",
    "DryRunReport",
    "FatalRemoteError",
    "Interrupted",
    "JobSpec",
    "PhaseStatus",
    "RunResult",
    "UsageError",
    "__version__",
    "dry_run",
    "exit_code",
    "job_status",
    "load_job",
    "run_job",
    "run_job_async",
]

if TYPE_CHECKING:
    from bulkcontacts.api import dry_run, exit_code, job_status, load_job, run_job, run_job_async
    from bulkcontacts.config.jobs import JobSpec
    from bulkcontacts.errors import BulkContactsError, FatalRemoteError, Interrupted, UsageError
    from bulkcontacts.jobs.dry_run import DryRunReport
    from bulkcontacts.jobs.results import RunResult
    from bulkcontacts.jobs.status import PhaseStatus


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'bulkcontacts' has no attribute {name!r}")
    return getattr(importlib.import_module(_WHERE[name]), name)

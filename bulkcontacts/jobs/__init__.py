"""The only place that wires source → mapping → pool → sink → checkpoint (one module per kind of job)."""

from bulkcontacts.jobs.common import (
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_REFUSED,
    EXIT_REJECTIONS,
    EXIT_USAGE,
    RunResult,
)
from bulkcontacts.jobs.exports import run_export
from bulkcontacts.jobs.imports import DryRunReport, dry_run_import, run_import
from bulkcontacts.jobs.migrate import dry_run_migrate, run_migrate
from bulkcontacts.jobs.verify import VerifyReport, run_verify

__all__ = [
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_REFUSED",
    "EXIT_REJECTIONS",
    "EXIT_USAGE",
    "RunResult",
    "DryRunReport",
    "dry_run_import",
    "dry_run_migrate",
    "run_export",
    "run_import",
    "run_migrate",
    "VerifyReport",
    "run_verify",
]

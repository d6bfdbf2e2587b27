"""The only place that wires source → mapping → pool → sink → checkpoint (one module per kind of job)."""

from bulkcontacts.runner.common import (
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_REFUSED,
    EXIT_REJECTIONS,
    EXIT_USAGE,
    RunResult,
)
from bulkcontacts.runner.exports import run_export
from bulkcontacts.runner.imports import DryRunReport, dry_run_import, run_import
from bulkcontacts.runner.migrate import dry_run_migrate, run_migrate
from bulkcontacts.runner.verify import VerifyReport, run_verify

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

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

__all__ = ["EXIT_INTERRUPTED", "EXIT_OK", "EXIT_REFUSED", "EXIT_REJECTIONS", "EXIT_USAGE", "RunResult",
           "DryRunReport", "dry_run_import", "run_export", "run_import"]

"""The only place that wires source → mapping → pool → sink → checkpoint (one module per kind of job).

Import the runners from their modules (``jobs.imports``, ``jobs.exports``, …): this package's own import stays
light, so that a dry run or ``validate`` never loads the HTTP stack.
"""

from bulkcontacts.errors import EXIT_INTERRUPTED, EXIT_OK, EXIT_REFUSED, EXIT_REJECTIONS, EXIT_USAGE
from bulkcontacts.jobs.results import RunResult

__all__ = ["EXIT_INTERRUPTED", "EXIT_OK", "EXIT_REFUSED", "EXIT_REJECTIONS", "EXIT_USAGE", "RunResult"]

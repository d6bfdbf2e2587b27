"""Errors grouped by what the caller must do about them.

- ``UsageError``: the user must fix the spec, the command line or the input file; nothing was sent.
- ``FatalRemoteError``: the API refused the job as a whole (401/403); fix credentials, then resume.
- ``Interrupted``: the job stopped early but its state is saved; the same command resumes it.
"""


class BulkContactsError(Exception):
    """Base of every error this package raises on purpose; its message is meant for the user."""


class UsageError(BulkContactsError):
    """A bad spec, option, column or file: fixable by the user, detected before any request."""


class FatalRemoteError(BulkContactsError):
    """The remote API refused the job as a whole (for example 401/403)."""


class Interrupted(BulkContactsError):
    """The run ended before it was finished; the checkpoint allows resuming."""

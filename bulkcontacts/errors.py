"""Errors grouped by what the caller must do about them.

- ``UsageError``: the user must fix the spec, the command line or the input file; nothing was sent.
- ``FatalRemoteError``: the API refused the job as a whole (401/403); fix credentials, then resume.
- ``Interrupted``: the job stopped early but its state is saved; the same command resumes it.

The exit codes and the advice of each kind of stop live here too: this module imports nothing, so the
command's entry point can use them before anything heavy is imported (Ctrl-C while starting).
"""

EXIT_OK, EXIT_REJECTIONS, EXIT_USAGE, EXIT_INTERRUPTED, EXIT_REFUSED = 0, 1, 2, 3, 4


# What a stopped run asks of the person, by kind of stop: run again, or change something first.
ADVICE = {
    "interrupted": "run the same command again to resume",
    "refused": "this will not pass by running again: fix what the message names (a key of the spec, or the "
    "credentials), then run the same command; the work done so far is kept",
}


class BulkContactsError(Exception):
    """Base of every error this package raises on purpose; its message is meant for the user."""


class UsageError(BulkContactsError):
    """A bad spec, option, column or file: fixable by the user, detected before any request."""


class FatalRemoteError(BulkContactsError):
    """The remote API refused the job as a whole (for example 401/403)."""


class Interrupted(BulkContactsError):
    """The run ended before it was finished; the checkpoint allows resuming."""

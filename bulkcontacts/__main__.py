"""``python -m bulkcontacts`` and the ``bulkcontacts`` command. Ctrl-C while the tool is still starting ends it
as any interrupted run ends: one line, exit 3, never a traceback. So nothing heavy is imported before
``main`` is ready for that."""

import os
import signal

from bulkcontacts.errors import ADVICE, EXIT_INTERRUPTED  # a module that imports nothing


def main() -> None:
    # While the modules import (about half a second), Ctrl-C ends the process from the signal handler itself,
    # not by a KeyboardInterrupt: one raised inside an extension's code can be swallowed there (pydantic-core
    # printed "Exception ignored ... KeyboardInterrupt" and the run went on to complete), and nothing is
    # started yet that would need stopping. A SIGINT ignored by whoever started us stays ignored.
    starting = signal.getsignal(signal.SIGINT) is signal.default_int_handler
    if starting:
        signal.signal(signal.SIGINT, _quit_while_starting)
    from bulkcontacts.cli import main as cli_main

    if starting:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    cli_main()


def _quit_while_starting(signum: int, frame: object) -> None:
    os.write(2, f"interrupted: {ADVICE['interrupted']}\n".encode())
    os._exit(EXIT_INTERRUPTED)  # at once: an interpreter stopped mid-import can end by the signal, not the code


if __name__ == "__main__":
    main()

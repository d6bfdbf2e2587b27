"""``python -m bulkcontacts`` and the ``bulkcontacts`` command. Ctrl-C while the tool is still starting (its
modules take about half a second to import) ends it as any interrupted run ends: one line, exit 3, never a
traceback. So nothing heavy is imported before ``main`` is ready for that."""

import os
import sys

from bulkcontacts.errors import ADVICE, EXIT_INTERRUPTED  # a module that imports nothing


def main() -> None:
    try:
        from bulkcontacts.cli import main as cli_main
    except KeyboardInterrupt:
        sys.stderr.write(f"interrupted: {ADVICE['interrupted']}\n")
        sys.stderr.flush()
        # At once: nothing was started, and an interpreter stopped mid-import can end by the signal instead
        # of the code while it finalizes (seen in about one in eight Ctrl-Cs at 0.2 s).
        os._exit(EXIT_INTERRUPTED)
    cli_main()


if __name__ == "__main__":
    main()

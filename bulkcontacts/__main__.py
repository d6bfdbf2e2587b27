"""``python -m bulkcontacts`` and the ``bulkcontacts`` command. Ctrl-C while the tool is still starting (its
modules take about half a second to import) ends it as any interrupted run ends: one line, exit 3, never a
traceback. So nothing heavy is imported before ``main`` is ready for that."""

import sys

EXIT_INTERRUPTED = 3  # bulkcontacts.jobs.results' (not imported: that is the point; a test holds them equal)


def main() -> None:
    try:
        from bulkcontacts.cli import main as cli_main
    except KeyboardInterrupt:
        sys.stderr.write("interrupted: run the same command again to resume\n")
        sys.exit(EXIT_INTERRUPTED)
    cli_main()


if __name__ == "__main__":
    main()

"""The command's entry point: a Ctrl-C while the modules import is never lost, even where library code swallows
the KeyboardInterrupt it would become (in a process of its own, whose signal handling is its to change)."""

from __future__ import annotations

import subprocess
import sys

from bulkcontacts.errors import ADVICE, EXIT_INTERRUPTED

# Ctrl-C while ``bulkcontacts.cli`` imports, arriving inside code that swallows it (as pydantic-core did,
# printing "Exception ignored in: 'Path'" and going on to run the whole job).
SWALLOWED_WHILE_STARTING = """
import importlib.abc, os, signal, sys, time

class Swallowing(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name == "bulkcontacts.cli":
            sys.meta_path.remove(self)
            try:
                os.kill(os.getpid(), signal.SIGINT)
                time.sleep(1.0)
            except BaseException:
                pass
        return None

sys.meta_path.insert(0, Swallowing())
sys.argv = ["bulkcontacts", "--help"]
from bulkcontacts.__main__ import main
main()
"""


def _python(script: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)


def test_ctrl_c_swallowed_while_the_modules_import_still_ends_the_run_as_interrupted() -> None:
    done = _python(SWALLOWED_WHILE_STARTING)
    assert done.returncode == EXIT_INTERRUPTED, done
    assert done.stderr == f"interrupted: {ADVICE['interrupted']}\n" and done.stdout == ""

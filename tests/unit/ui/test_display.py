"""The progress display in terminal states a test cannot reach through the CLI: unknown totals, narrow
widths, errors, a second phase."""

import io

import pytest
from rich.console import Console

from bulkcontacts.ui.display import BarDisplay, Display, QuietDisplay, Snapshot, preview, shorten


def terminal(width: int) -> tuple[Console, io.StringIO]:
    buffer = io.StringIO()
    return Console(file=buffer, width=width, force_terminal=True, color_system=None), buffer


@pytest.mark.parametrize("width", [40, 80, 120])
def test_bar_draws_unknown_and_known_totals_and_a_second_phase(width):
    console, buffer = terminal(width)
    display = BarDisplay(console)
    display.note("state: somewhere")
    snapshot = Snapshot(unit="pages")  # an export before its first page: no total yet
    display.start("job: exporting (tether)", snapshot)
    snapshot.done, snapshot.retries = 3, 2
    snapshot.last_error, snapshot.last_error_count = "HTTP 503: " + "x" * 500, 2
    display.update(snapshot)
    display.bar.refresh()
    display.start("job: sending", Snapshot(total=10, done=4))  # the next phase replaces the bar
    display.notice("SIGINT: finishing requests under way")
    display.stop()
    display.stop()
    text = buffer.getvalue()
    assert "state: somewhere" in text and "3 pages" in text and "4/10 rows" in text
    assert all(len(line) < width for line in text.replace("\r", "\n").splitlines() if "\x1b" not in line)


def test_last_error_is_on_the_progress_line_once_retries_start():
    snapshot = Snapshot(counts={"created": 5})
    assert "last error" not in snapshot.describe()
    snapshot.retries, snapshot.last_error, snapshot.last_error_count = 4, "request timed out", 4
    assert snapshot.describe().endswith("last error: request timed out (×4)")


def test_quiet_prints_nothing_until_the_summary():
    console, buffer = terminal(80)
    quiet = QuietDisplay(console)
    quiet.note("state: x")
    quiet.start("job", Snapshot())
    quiet.update(Snapshot(done=1))
    quiet.flush()
    assert buffer.getvalue() == ""


def test_notes_wait_for_the_run_to_start():
    console, buffer = terminal(80)
    plain = Display(console)
    plain.note("emulator: here")
    assert buffer.getvalue() == ""  # a spec refused before the start is answered by its error alone
    plain.start("job", Snapshot(total=2))
    assert buffer.getvalue().startswith("emulator: here")


def test_values_shown_to_a_person_are_cut_with_a_count():
    assert shorten("a" * 130) == "a" * 120 + "… (10 more characters)"
    shown = preview({"phone_number": 91, "note": "n" * 5_000_000, **{f"c{i}": i for i in range(3000)}})
    assert len(shown) < 2000
    assert "(4,999,940 more characters)" in shown and "(2,977 more fields)" in shown

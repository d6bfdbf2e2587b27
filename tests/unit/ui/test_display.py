"""The progress display in terminal states a test cannot reach through the CLI: unknown totals, narrow
widths, errors, a second phase."""

import io
import re

import pytest
from rich.console import Console

from bulkcontacts.ui.display import BarDisplay, Display, ProgressLine, QuietDisplay, Snapshot, preview, shorten


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
    display.live.refresh()
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


@pytest.mark.parametrize("width", [50, 80, 120, 200])
def test_the_line_always_holds_the_amount_the_rate_the_time_left_and_then_the_counts(width):
    counts = {"created": 1_234_567, "rejected": 12_345, "rejected:bad_phone": 12_000}
    snapshot = Snapshot(done=1_246_912, total=10_000_000, counts=counts, retries=17, throttled=2, rate=900.0)
    line = ProgressLine("import-contacts: sending", snapshot)
    text = line.text(width - 2).plain
    assert len(text) <= width - 2
    if width >= 80:
        assert "1,246,912/10,000,000 rows · 900.0/s · 2:42:05 left" in text  # never dropped
        assert "created 1,234,567" in text  # the counts next, cut rather than wrapped
    if width >= 200:
        assert "429s 2" in text and "import-contacts" in text  # all of it fits, and the decoration
    assert "\n" not in text


def test_the_time_left_follows_the_recent_rate_not_the_first_seconds(monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr("bulkcontacts.ui.display.time.monotonic", lambda: clock[0])
    line = ProgressLine("job", Snapshot(done=0, total=20_000, rate=0.0))
    for second in range(1, 31):  # 1,000/s for the first 10 s, then 100/s
        clock[0] += 1
        done = 1_000 * min(second, 10) + 100 * max(0, second - 10)
        line.advance(Snapshot(done=done, total=20_000, rate=done / second))
    assert 95 <= line.rate() <= 105  # the last 10 s, not the run's 400/s average
    assert line.time_left() == "1:20"  # 8,000 left at 100/s


def test_a_notice_gets_a_line_of_its_own_above_the_progress():
    console, buffer = terminal(60)
    display = BarDisplay(console)
    display.start("job: sending", Snapshot(total=10, done=4))
    display.notice("SIGINT: finishing requests under way (up to 10 s), then saving; Ctrl-C again quits at once")
    display.live.refresh()
    display.stop()
    shown = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", buffer.getvalue())
    lines = [line for line in shown.replace("\r", "\n").splitlines() if "SIGINT" in line]
    assert lines and all(len(line) < 60 for line in lines)

"""``python -m benchmarks [case ...]``: run the cases, print a table, write benchmarks/RESULTS.md."""

from __future__ import annotations

import os
import platform
import sys
import time
from pathlib import Path

from benchmarks.cases import CASES, OPTIONS, Figure

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"


PARTIAL = "\n## Runs of some cases\n"
FINDINGS_MARK = "\n<!-- below: benchmarks/FINDINGS.md -->\n"


def main(arguments: list[str]) -> int:
    names = list(arguments)
    for option in ("--runs", "--rows", "--rounds", "--memory-rows"):  # numbers some cases take (cases.OPTIONS)
        if option in names:
            at = names.index(option)
            OPTIONS[option[2:].replace("-", "_")] = int(names[at + 1])
            del names[at : at + 2]
    chosen = names or list(CASES)
    unknown = [name for name in chosen if name not in CASES]
    if unknown:
        print(f"unknown case(s) {', '.join(unknown)}; cases: {', '.join(CASES)}", file=sys.stderr)
        return 2
    figures: list[Figure] = []
    started = time.monotonic()
    for name in chosen:
        case_started = time.monotonic()
        print(f"-- {name} ...", flush=True)
        found = CASES[name]()
        for figure in found:
            print(
                f"   {figure.name}: {figure.value:,.3f} (target {figure.target}) "
                f"{'met' if figure.met else 'NOT MET'} {figure.note}",
                flush=True,
            )
        print(f"   ({time.monotonic() - case_started:.0f} s)", flush=True)
        figures += found
    table = render(figures, chosen, time.monotonic() - started, " ".join(arguments))
    print(table)
    record(table, full=not names)
    return 0


def record(table: str, *, full: bool) -> None:
    """A full run replaces the main table; a run of some cases replaces its own section below it (the same
    command run again), so the last full table and every partial run's figures stay side by side. The
    findings (FINDINGS.md) always follow, after a marker line."""
    text = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else ""
    body = text.split(FINDINGS_MARK, 1)[0]
    main, _, partial = body.partition(PARTIAL)
    sections = [section for section in partial.split("\n### ") if section.strip()]
    if full:
        main = table
    else:
        command = table.splitlines()[2].split("`")[1]
        sections = [section for section in sections if f"`{command}`" not in section.splitlines()[0]]
        sections.append(table.replace("# Benchmark results\n\n", "", 1).replace("Command: ", "", 1))
    joined = "".join(f"\n### {section.strip()}\n" for section in sections)
    RESULTS.write_text(
        main.rstrip("\n") + "\n" + (PARTIAL + joined if sections else "") + FINDINGS_MARK + _findings(),
        encoding="utf-8",
    )


def render(figures: list[Figure], chosen: list[str], seconds: float, command: str) -> str:
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    lines = [
        "# Benchmark results",
        "",
        f"Command: `python -m benchmarks {command or ' '.join(chosen)}` · "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}"
        f" · {machine} · {seconds:.0f} s in all",
        "",
        "| case | figure | value | target | met | notes |",
        "|---|---|---|---|---|---|",
    ]
    for figure in figures:
        lines.append(
            f"| {figure.case} | {figure.name} | {figure.value:,.3f} | {figure.target} | "
            f"{'yes' if figure.met else '**no**'} | {figure.note} |"
        )
    return "\n".join(lines) + "\n"


def _findings() -> str:
    notes = Path(__file__).resolve().parent / "FINDINGS.md"
    return "\n" + notes.read_text(encoding="utf-8") if notes.exists() else ""


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

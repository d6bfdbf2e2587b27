"""``python -m benchmarks [case ...]``: run the cases, print a table, write benchmarks/RESULTS.md."""

from __future__ import annotations

import os
import platform
import sys
import time
from pathlib import Path

from benchmarks.cases import CASES, Figure

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"


def main(names: list[str]) -> int:
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
            print(f"   {figure.name}: {figure.value:,.3f} (target {figure.target}) "
                  f"{'met' if figure.met else 'NOT MET'} {figure.note}", flush=True)
        print(f"   ({time.monotonic() - case_started:.0f} s)", flush=True)
        figures += found
    table = render(figures, chosen, time.monotonic() - started)
    print(table)
    RESULTS.write_text(table + _findings(), encoding="utf-8")
    return 0


def render(figures: list[Figure], chosen: list[str], seconds: float) -> str:
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    lines = ["# Benchmark results", "",
             f"Command: `python -m benchmarks {' '.join(chosen)}` · {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}"
             f" · {machine} · {seconds:.0f} s in all", "",
             "| case | figure | value | target | met | notes |", "|---|---|---|---|---|---|"]
    for figure in figures:
        lines.append(f"| {figure.case} | {figure.name} | {figure.value:,.3f} | {figure.target} | "
                     f"{'yes' if figure.met else '**no**'} | {figure.note} |")
    return "\n".join(lines) + "\n"


def _findings() -> str:
    notes = Path(__file__).resolve().parent / "FINDINGS.md"
    return "\n" + notes.read_text(encoding="utf-8") if notes.exists() else ""


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

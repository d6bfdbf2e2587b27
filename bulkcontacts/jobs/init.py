"""``init``: inspect a contacts file (the whole of it, column-wise, in streamed batches) and write a commented
import spec that ``validate`` accepts. The decisions are ``bulkcontacts.contacts.decide``'s; here the file's
encoding and delimiter are sniffed, the batches read, the TOML written, loaded back and only then put in place.
Every call blocks (there is no coroutine here)."""

from __future__ import annotations

import codecs
import csv
import json
import os
import re
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from bulkcontacts.config.jobs import ImportJob
from bulkcontacts.config.load import load_spec
from bulkcontacts.config.sources import FileSource
from bulkcontacts.contacts.decide import Findings, decide
from bulkcontacts.contacts.inspect import PHONE_SAMPLE, FileStats, Sampler
from bulkcontacts.contacts.mapping import ContactMapper
from bulkcontacts.contacts.presets import detect
from bulkcontacts.errors import UsageError
from bulkcontacts.io.readers import FileReader
from bulkcontacts.state.atomic import replaced_on_success

BLOCK = 1 << 20
DELIMITERS = ",;\t|"
SNIFFED_BYTES = 64 * 1024
PRESET_NAMES = {
    "google-contacts": "Google Contacts' export (Phone N - Value, Labels)",
    "outlook": "Outlook's export (E-mail Address, Mobile Phone, Business Phone)",
    "hubspot": "HubSpot's export (Record ID, Email, Phone Number)",
    "vcard": "a vCard file",
}


@dataclass
class Source:
    """How the file is read, and why (one note per choice that differs from the defaults)."""

    path: Path
    file_format: str
    encoding: str = "utf-8"
    delimiter: str = ","
    notes: dict[str, str] = field(default_factory=dict)  # spec key → why


@dataclass
class InitResult:
    spec_path: Path
    name: str
    rows: int
    columns: list[str]
    source: Source
    findings: Findings
    next_commands: list[str]


def init_job(file: Path, output: Path | None, name: str | None, force: bool) -> InitResult:
    """Inspect ``file`` and write the spec; ``UsageError`` (nothing written) when it cannot."""
    target = output if output is not None else Path("jobs") / f"{file.stem}.toml"
    if target.exists() and not force:
        raise UsageError(f"{target} exists; pass --force to overwrite it, or --output another path")
    _check_file(file)
    source = sniff(file)
    reader = FileReader(_file_source(source, file))
    columns = reader.columns()
    stats = FileStats(columns)
    for frame in _text_frames(reader):
        stats.add(frame)
    findings = decide(stats, detect(columns), lambda country, phones: _countryless(reader, country, phones))
    job_name = name or _job_name(file.stem)
    text = render(job_name, _relative(file, target.parent), source, findings, target, stats.rows)
    write_checked(target, text, columns)
    commands = [f"bulkcontacts validate {target} --emulate", f"bulkcontacts run {target} --dry-run --emulate"]
    return InitResult(target, job_name, stats.rows, columns, source, findings, commands)


def _check_file(file: Path) -> None:
    if not file.exists():
        raise UsageError(f"{file} does not exist; give the path of the contacts file to inspect")
    if not file.is_file():
        raise UsageError(f"{file} is not a file; give the path of the contacts file to inspect")
    try:
        with open(file, "rb") as handle:
            handle.read(1)
    except OSError as error:
        raise UsageError(f"{file} cannot be read ({error.strerror}); check its permissions") from None


def _file_source(source: Source, path: Path) -> FileSource:
    return FileSource.model_validate(
        {"type": "file", "path": path, "format": source.file_format, "encoding": source.encoding}
        | ({"delimiter": source.delimiter} if source.file_format == "csv" else {})
    )


def _text_frames(reader: FileReader) -> Iterator[pl.DataFrame]:
    """The file's batches with every column as String (Parquet's and JSONL's typed columns; nested ones
    dropped)."""
    for batch in reader.frames():
        frame = batch.frame if batch.frame is not None else pl.DataFrame(batch.rows())
        kept = [name for name, dtype in frame.schema.items() if not dtype.is_nested()]
        yield frame.select(pl.col(name).cast(pl.String, strict=False) for name in kept)


def _countryless(reader: FileReader, country: str, phones: list[str]) -> list[str]:
    """A second pass: the first phone cell of each row whose country cell is empty, a sample spread over the
    file (the rows ``default_country`` reads)."""
    sampler = Sampler(PHONE_SAMPLE)
    for frame in _text_frames(reader):
        blank = frame.get_column(country).str.strip_chars().fill_null("") == ""
        first = pl.coalesce([pl.when(pl.col(name).str.strip_chars() != "").then(pl.col(name)) for name in phones])
        sampler.add(frame.filter(blank).select(first.alias("phone")).get_column("phone").drop_nulls())
    return sampler.values


def _job_name(stem: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "-", stem).strip("-.")
    return cleaned or "import-contacts"


def _relative(file: Path, folder: Path) -> str:
    return Path(os.path.relpath(file.resolve(), folder.resolve())).as_posix()


# -- encoding and delimiter ---------------------------------------------------------------------------------


def sniff(file: Path) -> Source:
    suffix = file.suffix.lower()
    file_format = {".vcf": "vcard", ".vcard": "vcard", ".parquet": "parquet", ".pq": "parquet"}.get(suffix)
    file_format = file_format or ("jsonl" if suffix in (".jsonl", ".ndjson") else "csv")
    source = Source(file, file_format)
    if file_format == "parquet":
        return source
    source.encoding = _encoding(file, source.notes)
    if file_format == "csv":
        source.delimiter = _delimiter(file, source.encoding, suffix, source.notes)
    return source


def _encoding(file: Path, notes: dict[str, str]) -> str:
    """UTF-8 (a BOM or none) when every byte decodes as UTF-8; else cp1252 (Excel's on Windows), else latin-1."""
    with open(file, "rb") as handle:
        head = handle.read(4)
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        notes["encoding"] = "a UTF-16 byte-order mark"
        return "utf-16"
    for encoding in ("utf-8", "cp1252"):
        bad = _first_undecodable(file, encoding)
        if bad is None:
            if encoding == "utf-8" and head.startswith(codecs.BOM_UTF8):
                notes["bom"] = "UTF-8 with a byte-order mark (read as UTF-8; the mark is not data)"
            return encoding
        if encoding == "utf-8":
            notes["encoding"] = f"not UTF-8 (byte {bad[1]:#04x} at offset {bad[0]:,}): every byte reads as cp1252"
    notes["encoding"] = "neither UTF-8 nor cp1252: read as latin-1 (every byte is a character; check the names)"
    return "latin-1"


def _first_undecodable(file: Path, encoding: str) -> tuple[int, int] | None:
    """(offset, byte) of the first byte the encoding refuses, the whole file read a block at a time."""
    decoder = codecs.getincrementaldecoder(encoding)()
    offset = 0
    with open(file, "rb") as handle:
        while True:
            block = handle.read(BLOCK)
            try:
                decoder.decode(block, final=not block)
            except UnicodeDecodeError as error:
                return offset + error.start, error.object[error.start]
            if not block:
                return None
            offset += len(block)


def _delimiter(file: Path, encoding: str, suffix: str, notes: dict[str, str]) -> str:
    """The delimiter of the header and first lines: ``csv.Sniffer`` restricted to , ; tab |, else the one the
    header holds most of."""
    with open(file, encoding=encoding, newline="", errors="replace") as handle:
        head = handle.read(SNIFFED_BYTES).lstrip("\ufeff")
    lines = head.splitlines()[:50]
    sample = "\n".join(lines[:-1] if len(lines) > 1 and len(head) >= SNIFFED_BYTES else lines)
    try:
        found = csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
    except csv.Error:
        header = lines[0] if lines else ""
        found = max(
            DELIMITERS, key=lambda mark: (header.count(mark), mark == "," or (mark == "\t" and suffix == ".tsv"))
        )
    if found != ",":
        notes["delimiter"] = f"the header and first lines are split by {found!r}"
    return found


# -- the spec -----------------------------------------------------------------------------------------------


def toml_value(value: Any) -> str:
    """A TOML value: strings as JSON strings (a TOML basic string), lists, and inline tables."""
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{toml_key(key)} = {toml_value(item)}" for key, item in value.items()) + " }"
    raise TypeError(f"no TOML for {value!r}")


def toml_key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else json.dumps(key, ensure_ascii=False)


def _entry(key: str, value: Any, why: str = "") -> str:
    written = f"{key} = {toml_value(value)}"
    comment = " ".join(why.split())  # one line, whatever the reason holds
    return f"{written:<40} # {comment}" if comment else written


def render(name: str, path: str, source: Source, findings: Findings, target: Path, rows: int) -> str:
    lines = [
        f"# Written by `bulkcontacts init` from {rows:,} rows of {source.path.name} (every row inspected).",
        "# Review the choices below (each says why), then:",
        f"#   bulkcontacts validate {target} --emulate",
        f"#   bulkcontacts run {target} --dry-run --emulate",
        "",
        "[job]",
        _entry("name", name),
        "",
        *_source_lines(path, source, findings),
        "",
        "[sink]",
        'type = "rampwin"',
        'api_key = "${RAMPWIN_API_KEY}"',
        _entry("integration_id", "${RAMPWIN_INTEGRATION_ID}", "the channel contacts are created in"),
        "",
        "[mapping]",
        *(_entry(decision.key, decision.value, decision.why) for decision in findings.mapping),
        *(f"# note: {' '.join(note.split())}" for note in findings.notes),
        "",
        "[run]",
        _entry("rate", "20/s", "set to your API's limit"),
    ]
    return "\n".join(lines) + "\n"


def _source_lines(path: str, source: Source, findings: Findings) -> list[str]:
    lines = ["[source]", 'type = "file"', _entry("path", path, "relative to this file")]
    if findings.preset:
        lines.append(_entry("preset", findings.preset, f"the header is {PRESET_NAMES[findings.preset]}"))
    if source.file_format != "csv" and findings.preset != "vcard":
        lines.append(_entry("format", source.file_format, f"from the suffix {source.path.suffix!r}"))
    if source.encoding != "utf-8":
        lines.append(_entry("encoding", source.encoding, source.notes.get("encoding", "")))
    elif "bom" in source.notes:
        lines.append(f"# {source.notes['bom']}")
    if source.delimiter != ",":
        lines.append(_entry("delimiter", source.delimiter, source.notes.get("delimiter", "")))
    return lines


def write_checked(target: Path, text: str, columns: list[str]) -> None:
    """Parse the text, load it as ``validate`` does, resolve its mapping against the file's columns; only then
    put it in place (a temporary file beside the target, renamed over it)."""
    try:
        tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:  # a bug here, never the user's doing
        raise UsageError(f"init wrote a spec TOML cannot parse ({error}); please report it") from None
    target.parent.mkdir(parents=True, exist_ok=True)
    with replaced_on_success(target) as temporary:
        temporary.write_text(text, encoding="utf-8")
        spec = load_spec(temporary, emulate=True)
        assert isinstance(spec, ImportJob)
        ContactMapper(spec.mapping, columns, spec.sink.integration_id, spec.source.preset)
        os.chmod(temporary, 0o644)  # a spec holds no secret: readable like the rest of the project

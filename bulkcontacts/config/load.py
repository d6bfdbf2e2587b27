"""Load a job spec: read the TOML, check its tables, interpolate ``${ENV}``, validate, and decide which kind
of job it is. Every problem becomes a ``UsageError`` whose one-line message names the table and key
(``[sink] api_key``) and the fix, before any request is sent.

``[source]`` is validated by the model its ``type`` names in the provider registry: the one place the spec
meets the providers.
"""

from __future__ import annotations

import difflib
import os
import tomllib
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Union, get_args

from pydantic import BaseModel, Field, TypeAdapter, ValidationError, WrapValidator

from bulkcontacts.config.base import Strict
from bulkcontacts.config.env import SECRET_KEYS, interpolate, key_name
from bulkcontacts.config.jobs import ExportJob, ImportJob, JobSpec, MigrateJob
from bulkcontacts.config.mapping import MappingSpec
from bulkcontacts.config.rates import parse_rate, rate_window
from bulkcontacts.config.rest import AuthSpec
from bulkcontacts.config.run import JobTable, RunSpec
from bulkcontacts.config.sinks import FileSink, RampwinSink, RestLookup, RestSink
from bulkcontacts.config.sources import FileSource, ProviderSource
from bulkcontacts.config.urls import check_base_url
from bulkcontacts.errors import UsageError


@cache
def _sources(names: tuple[str, ...]) -> TypeAdapter[Any]:
    from bulkcontacts.providers.registry import providers

    models = (FileSource, *(providers()[name].source_model for name in names))
    union: Any = Annotated[Union[models], Field(discriminator="type")]  # noqa: UP007 - built at run time
    return TypeAdapter(union)


def _source(value: Any, handler: Any) -> Any:
    if isinstance(value, FileSource | ProviderSource):
        return value
    if isinstance(value, dict) and value.get("type") == "file":
        return FileSource.model_validate(value)  # a file needs no provider loaded
    from bulkcontacts.providers.registry import providers

    return _sources(tuple(providers())).validate_python(value)


class Tables(Strict):
    """The spec as written, before the kind of job is known."""

    job: JobTable
    source: Annotated[FileSource | ProviderSource, WrapValidator(_source)]
    sink: Annotated[RampwinSink | FileSink | RestSink, Field(discriminator="type")]
    mapping: MappingSpec = MappingSpec()
    run: RunSpec = RunSpec()


def _typed(tables: Tables) -> JobSpec:
    source, sink, job, mapping, run = tables.source, tables.sink, tables.job, tables.mapping, tables.run
    if isinstance(source, FileSource) and isinstance(sink, RampwinSink | RestSink):
        return ImportJob(job=job, source=source, sink=sink, mapping=mapping, run=run)
    if isinstance(source, ProviderSource) and isinstance(sink, FileSink):
        return ExportJob(job=job, source=source, sink=sink, mapping=mapping, run=run)
    if isinstance(source, ProviderSource) and isinstance(sink, RampwinSink | RestSink):
        return MigrateJob(job=job, source=source, sink=sink, mapping=mapping, run=run)
    raise UsageError(
        'a file source with a file sink is not a job bulkcontacts runs; use type = "file" → '
        '"rampwin" (import), a provider → "file" (export) or a provider → "rampwin" (migrate)'
    )


TABLES = ("job", "source", "sink", "mapping", "run")
TAGGED = ("source", "sink", "paginator", "auth")  # tables whose ``type`` picks their model


def load_spec(path: Path, *, emulate: bool = False) -> JobSpec:
    """Read, interpolate and validate a job spec; raise ``UsageError`` naming the first problem."""
    raw = _read_toml(path)
    _check_tables(path, raw)
    missing: list[str] = []
    raw = interpolate(raw, (), emulate, missing)
    if missing:
        names = sorted(set(missing))
        exports = " ".join(f"{name}=..." for name in names)
        raise UsageError(
            f"job spec {path}: environment variable{'s' if len(names) > 1 else ''} "
            f"{', '.join(names)} {'are' if len(names) > 1 else 'is'} not set; export {exports} "
            "(or try the job against the emulator: --emulate, or emulate=True from Python)"
        )
    try:
        tables = Tables.model_validate(_api_rates(path, raw))
    except ValidationError as error:
        raise UsageError(f"job spec {path}: {_describe(error)}") from None
    try:
        typed = _typed(tables)
    except ValidationError as error:  # what one kind of job refuses of its tables together
        raise UsageError(f"job spec {path}: [sink] {_describe(error).removeprefix('spec: ')}") from None
    spec = _resolve_paths(typed, path.parent)
    _check_transport(spec)
    return spec


def _api_rates(path: Path, raw: dict[str, Any]) -> dict[str, Any]:
    """``rate`` in a REST ``[source]`` or ``[sink]``: that API's limit, written beside it; it paces the phase
    that calls the API — ``[run] rate`` for an export (the fetch) and for what is sent, ``[run] fetch_rate``
    for a migration's fetch. Written in both places, the two must be the same."""
    tables = {name: dict(raw[name]) for name in ("source", "sink")}
    run = dict(raw.get("run", {}))
    sends = tables["sink"].get("type") != "file"
    for name, key in (("source", "fetch_rate" if sends else "rate"), ("sink", "rate")):
        table = tables[name]
        if table.get("type") != "rest" or "rate" not in table:
            continue
        rate = table.pop("rate")
        if key in run and not _same_rate(run[key], rate):
            raise UsageError(
                f"job spec {path}: [{name}] rate = {rate!r} and [run] {key} = {run[key]!r} say two things: "
                f"give the API's limit once, as [{name}] rate"
            )
        run[key] = rate
    return {**raw, **tables, "run": run}


def _same_rate(first: Any, second: Any) -> bool:
    """Whether two written rates pace alike ("20/s" and 20 do; "60/min" and "1/s" do not: their windows)."""
    try:
        return parse_rate(first) == parse_rate(second) and rate_window(first) == rate_window(second)
    except (TypeError, ValueError):
        return bool(first == second)


def _check_tables(path: Path, raw: dict[str, Any]) -> None:
    unknown = [name for name in raw if name not in TABLES]
    if unknown:
        name = unknown[0]
        close = difflib.get_close_matches(name, TABLES, n=1)
        hint = f"did you mean [{close[0]}]?" if close else f"the tables are {', '.join(f'[{t}]' for t in TABLES)}"
        raise UsageError(f"job spec {path}: [{name}] is not a table bulkcontacts knows; {hint}")
    for table in TABLES:
        if table in raw and not isinstance(raw[table], dict):
            raise UsageError(f"job spec {path}: {table} must be a table ([{table}]), not a single value")
    for table in ("job", "source", "sink"):
        if table not in raw:
            raise UsageError(f"job spec {path}: the [{table}] table is missing; see jobs/import-contacts.toml")


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"job spec {path} does not exist{_spec_hint(path)}") from None
    except IsADirectoryError:
        raise UsageError(f"job spec {path} is a folder; give the spec file, e.g. {path / 'job.toml'}") from None
    except UnicodeDecodeError:
        raise UsageError(f"job spec {path} is not UTF-8 text") from None
    except OSError as error:
        raise UsageError(f"job spec {path} cannot be read: {error.strerror}") from None
    except tomllib.TOMLDecodeError as error:
        raise UsageError(f"job spec {path} is not valid TOML: {error}") from None


def _spec_hint(path: Path) -> str:
    """For ``run import-contacts``: the spec files it may have meant."""
    name = path.name if path.suffix == ".toml" else f"{path.name}.toml"
    candidates = [
        candidate for candidate in (Path("jobs") / name, Path(name), path.parent / "jobs" / name) if candidate.is_file()
    ]
    if candidates:
        return f"; did you mean {candidates[0]}?"
    return "; a job is run by its spec file, e.g. jobs/import-contacts.toml"


def _describe(error: ValidationError) -> str:
    first = error.errors()[0]
    # The discriminator tags pydantic inserts after a tagged table, e.g. ("source", "file", "path") or
    # ("source", "rest", "paginator", "cursor", "cursor_param"), are not keys the user wrote.
    whole = list(first["loc"])
    loc = [part for index, part in enumerate(whole) if not (0 < index < len(whole) - 1 and whole[index - 1] in TAGGED)]
    kind, message = first["type"], first["msg"]
    if kind == "extra_forbidden":
        table = str(loc[0]) if len(loc) > 1 else ""
        close = difflib.get_close_matches(str(loc[-1]), _known_keys(table), n=1, cutoff=0.7)
        hint = f"did you mean {close[0]!r}?" if close else "remove it or check its spelling"
        return f"{key_name(loc)}: unknown key; {hint}"
    if kind == "missing":
        return f"{key_name(loc)}: required key is missing; add it"
    if kind == "union_tag_invalid":
        return f"{key_name(loc)} type: {first['ctx']['tag']!r} is not a known type ({first['ctx']['expected_tags']})"
    if kind == "union_tag_not_found":
        return f"{key_name(loc)}: add a type key"
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        return f'{key_name(loc)}: must be a table, e.g. {loc[-1]} = {{ key = "value" }}'
    message = message.removeprefix("Value error, ").replace("Input should be", "must be")
    shown = first.get("input")
    if loc and loc[-1] in SECRET_KEYS or isinstance(shown, (dict, list)):
        return f"{key_name(loc)}: {message}"  # never echo a secret or a whole table
    return f"{key_name(loc)}: {message} (got {shown!r})"


@cache
def _known_keys(table: str) -> list[str]:
    """Every key the spec's ``table`` can hold, at any depth (the table's keys themselves when it is not one
    of the five): what an unknown key is compared with."""
    from bulkcontacts.config.mapping import TagsSpec
    from bulkcontacts.providers.registry import providers

    sources: list[type[BaseModel]] = [FileSource]
    for provider in providers().values():
        source = provider.source_model
        sources.append(source)
        sources += [member for name in ("paginator", "auth") if name in source.model_fields
                    for member in _members(source.model_fields[name].annotation)]  # fmt: skip
    by_table: dict[str, list[type[BaseModel]]] = {
        "job": [JobTable],
        "source": sources,
        "sink": [RampwinSink, FileSink, RestSink, RestLookup, *_members(AuthSpec)],
        "mapping": [MappingSpec, TagsSpec],
        "run": [RunSpec],
    }
    models = by_table.get(table) or [Tables]
    return sorted({name for model in models for name in model.model_fields})


def _members(annotation: Any) -> list[type[BaseModel]]:
    """The models of a (tagged, optional) union of tables."""
    found: list[type[BaseModel]] = []
    for member in get_args(annotation) or (annotation,):
        if isinstance(member, type) and issubclass(member, BaseModel):
            found.append(member)
        elif get_args(member):
            found += _members(member)
    return found


def _resolve_paths(spec: JobSpec, base: Path) -> JobSpec:
    """Every path relative to the spec's folder, written plainly (``exports/x.csv``, not
    ``jobs/../exports/x.csv``); the state directory too, by default ``.bulkcontacts/<name>`` there."""

    def beside(path: Path) -> Path:
        return Path(os.path.normpath(base / path))

    updates: dict[str, Any] = {}
    source, sink = spec.source, spec.sink
    if isinstance(source, FileSource):
        updates["source"] = source.model_copy(update={"path": beside(source.path)})
    if isinstance(sink, FileSink):
        updates["sink"] = sink.model_copy(update={"path": beside(sink.path)})
    state = spec.run.state_dir or Path(".bulkcontacts") / spec.job.name
    updates["run"] = spec.run.model_copy(update={"state_dir": beside(state)})
    return spec.model_copy(update=updates)


def _check_transport(spec: JobSpec) -> None:
    for table, end in (("source", spec.source), ("sink", spec.sink)):
        if isinstance(end, ProviderSource | RampwinSink | RestSink):
            check_base_url(f"[{table}] base_url", end.base_url, allow_insecure_http=end.allow_insecure_http)

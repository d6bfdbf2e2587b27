"""The ``[job]`` and ``[run]`` tables: the job's name, and how fast, how hard and where it runs."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from pydantic import Field, ModelWrapValidatorHandler, PrivateAttr, field_validator, model_validator

from bulkcontacts.config.base import Strict
from bulkcontacts.config.rates import AUTO_RATE_CEILING, AUTO_RATE_START, parse_rate, rate_window

RATE_STORE_SCHEMES = ("redis://", "rediss://", "unix://")
JOB_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


class JobTable(Strict):
    name: str

    @field_validator("name")
    @classmethod
    def _safe_name(cls, name: str) -> str:
        if not JOB_NAME.match(name):
            raise ValueError("use letters, digits, '.', '_' or '-' (it names the state directory)")
        return name


class RunSpec(Strict):
    rate: float = 10.0
    fetch_rate: float | None = None  # a migration's fetch from the provider (default: rate)
    adaptive: bool = False  # follow the server: back off on 429 / full-window headers, speed up otherwise
    start_rate: float | None = None  # where an adaptive rate starts (default: a quarter of ``rate``)
    concurrency: int = Field(default=8, ge=1, le=512)
    max_attempts: int = Field(default=6, ge=1, le=100)
    backoff_base: float = Field(default=0.5, gt=0)
    backoff_max: float = Field(default=30.0, gt=0)
    request_timeout: float = Field(default=30.0, gt=0)
    give_up_after: float = Field(default=300.0, gt=0)
    rate_headroom: float = Field(default=0.02, ge=0, lt=0.5)
    checkpoint_every: float = Field(default=0.5, gt=0)
    neutralize_formulas: bool = True  # rejected.csv: cells starting with = @ (or + - and not a number) get a '
    state_dir: Path | None = None
    # A Redis that keeps one rate budget for every worker of every job on the same API key and host
    # (redis://, rediss:// or unix://); default: BULKCONTACTS_RATE_STORE, else each run paces alone.
    rate_store: str | None = None
    _rate_window: float = PrivateAttr(default=1.0)  # from how ``rate`` was written (``rate_window``)
    _fetch_window: float = PrivateAttr(default=1.0)

    @field_validator("rate_store")
    @classmethod
    def _store(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(RATE_STORE_SCHEMES):
            raise ValueError("give a Redis URL: redis://HOST:PORT/DB (or rediss://, unix://)")
        return value

    @model_validator(mode="before")
    @classmethod
    def _auto(cls, values: Any) -> Any:
        if isinstance(values, dict) and values.get("rate") == "auto":
            return {"start_rate": AUTO_RATE_START, **values, "rate": AUTO_RATE_CEILING, "adaptive": True}
        return values

    @field_validator("rate", "fetch_rate", "start_rate", mode="before")
    @classmethod
    def _rate(cls, value: Any) -> float | None:
        return None if value is None else parse_rate(value)

    @model_validator(mode="wrap")
    @classmethod
    def _windows(cls, values: Any, handler: ModelWrapValidatorHandler[RunSpec]) -> RunSpec:
        spec = handler(values)
        if isinstance(values, dict):
            spec._rate_window = rate_window(values.get("rate"))
            spec._fetch_window = rate_window(values.get("fetch_rate", values.get("rate")))
        return spec

    @property
    def rate_window(self) -> float:
        """Seconds of the window ``rate`` was written in (``"60/min"``: 60)."""
        return self._rate_window

    def for_fetch(self) -> RunSpec:
        """This run's pacing for a migration's fetch: ``fetch_rate`` (and its window) as the rate, fixed."""
        if self.fetch_rate is None:
            return self
        fetching = self.model_copy(update={"rate": self.fetch_rate, "adaptive": False})
        fetching._rate_window = self._fetch_window
        return fetching

"""Plain records that every benchmark-result importer returns, and the small
helpers they share (alias tables, dates, scores, standard errors).

The importers turn published result files into `RunRecord`s; the Django side
stores them as benchmark runs (METHODOLOGY.md §6, API.md "Benchmark runs").
Nothing here imports Django.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

from providers import slugs
from providers.naming import alias_key, load_aliases

# data/ sits at the project root, two levels above this package.
DATA_DIR = Path(__file__).resolve().parents[2] / "data"
MODEL_ALIASES_PATH = DATA_DIR / "model_aliases.csv"
PROVIDER_ALIASES_PATH = DATA_DIR / "provider_aliases.csv"

# The one slug rule of the API (providers/slugs.py): an import files runs under names the API
# and the pages can reach.
PROVIDER_SLUG_RE = re.compile(slugs.python_pattern(slugs.PROVIDER))
MODEL_SLUG_RE = re.compile(slugs.python_pattern(slugs.MODEL))
BENCHMARK_SLUG_RE = re.compile(slugs.python_pattern(slugs.BENCHMARK))
_DATE_ONLY_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_RFC3339_RE = re.compile(
    r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$"
)


@dataclass(frozen=True)
class BenchmarkSpec:
    """A benchmark as the importer knows it; unknown slugs get these defaults."""

    slug: str
    name: str
    unit: str = "%"
    higher_is_better: bool = True
    tolerance: float = 3.0
    description: str = ""
    link: str = ""
    item_count: int | None = None  # questions in the benchmark, for the §6 standard error


@dataclass(frozen=True)
class RunRecord:
    """One score of one endpoint (model + vendor) on one benchmark."""

    external_id: str
    model: str
    vendor: str
    benchmark: str
    score: float
    stderr: float | None
    samples: int | None
    source: str
    run_at: datetime
    detail: dict[str, Any] = field(default_factory=dict)
    reference: bool = False


@dataclass(frozen=True)
class EndpointRun:
    """What the records of one endpoint's run share (one source row or file gives several
    benchmarks); `record` builds each, its id the run's prefix and a per-benchmark suffix."""

    id_prefix: str
    model: str
    vendor: str
    source: str
    run_at: datetime
    reference: bool = False

    def record(self, id_suffix: str, benchmark: str, score: float, *,
               stderr: float | None = None, samples: int | None = None,
               detail: dict[str, Any] | None = None) -> RunRecord:
        return RunRecord(
            external_id=f"{self.id_prefix}:{id_suffix}", model=self.model, vendor=self.vendor,
            benchmark=benchmark, score=score, stderr=stderr, samples=samples, source=self.source,
            run_at=self.run_at, detail=dict(detail or {}), reference=self.reference,
        )


@dataclass(frozen=True)
class RowError:
    """A row the importer could not use. `line` is 1-based in the source file;
    0 means the error concerns the file as a whole."""

    line: int
    reason: str


@dataclass(frozen=True)
class ParseResult:
    benchmarks: tuple[BenchmarkSpec, ...]
    records: tuple[RunRecord, ...]
    errors: tuple[RowError, ...]


class RowProblem(ValueError):
    """Raised inside a parser for one bad row; turned into a RowError."""


# --- alias tables ----------------------------------------------------------


def lookup_alias(aliases: Mapping[str, str], name: str) -> str | None:
    """The target for `name`, ignoring case and repeated spaces; None if absent."""
    if name in aliases:
        return aliases[name]
    key = alias_key(name)
    for alias, target in aliases.items():
        if alias_key(alias) == key:
            return target
    return None


def default_model_aliases() -> dict[str, str]:
    """The project's shipped model alias table (data/model_aliases.csv)."""
    return load_aliases(MODEL_ALIASES_PATH)


def default_provider_aliases() -> dict[str, str]:
    """The project's shipped vendor-name table (data/provider_aliases.csv)."""
    return load_aliases(PROVIDER_ALIASES_PATH)


def resolve_model(name: str, aliases: Mapping[str, str]) -> str:
    """Map a source's model name to our author/name slug.

    Raises RowProblem when neither the alias table nor the name itself gives a
    slug, since a run filed under an unknown model is worse than no run.
    """
    name = name.strip()
    if not name:
        raise RowProblem("model is empty")
    mapped = lookup_alias(aliases, name)
    slug = mapped if mapped is not None else name
    if not MODEL_SLUG_RE.match(slug):
        raise RowProblem(
            f"model {name!r} is not an author/name slug and has no entry in the model aliases"
        )
    return slug


def aliases_or_default(model_aliases: Mapping[str, str] | None) -> Mapping[str, str]:
    """None means "use the shipped table"; an explicit mapping (even empty) wins."""
    return default_model_aliases() if model_aliases is None else model_aliases


# --- input, dates and numbers ----------------------------------------------


def read_source(text_or_path: str | Path) -> str:
    """Accept file content or a path to it.

    A Path is always read; a str is read as a path only when it is a single
    line naming an existing file, so CSV/JSON content is never mistaken for one.
    """
    if isinstance(text_or_path, Path):
        return text_or_path.read_text(encoding="utf-8-sig")
    if "\n" not in text_or_path and text_or_path.strip():
        candidate = Path(text_or_path)
        try:
            if candidate.is_file():
                return candidate.read_text(encoding="utf-8-sig")
        except OSError:
            pass
    return text_or_path.removeprefix("\ufeff")


def parse_run_at(value: str, what: str = "run_at") -> datetime:
    """YYYY-MM-DD (midnight UTC) or an RFC 3339 timestamp with offset, as UTC."""
    value = value.strip()
    if not value:
        raise RowProblem(f"{what} is empty")
    if _DATE_ONLY_RE.match(value):
        try:
            day = date.fromisoformat(value)
        except ValueError as exc:
            raise RowProblem(f"{what} {value!r} is not a valid date ({exc})") from None
        return datetime.combine(day, time(0, 0), tzinfo=UTC)
    if not _RFC3339_RE.match(value):
        # Offsets are required: guessing one would shift runs by hours.
        raise RowProblem(
            f"{what} {value!r} is neither YYYY-MM-DD nor an RFC 3339 timestamp with offset"
        )
    try:
        moment = datetime.fromisoformat(value.upper().replace("Z", "+00:00"))
    except ValueError as exc:
        raise RowProblem(f"{what} {value!r} is not a valid timestamp ({exc})") from None
    return moment.astimezone(UTC)


def as_utc(moment: datetime) -> datetime:
    """A caller-given datetime as UTC; naive datetimes are refused."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("run_at must be timezone-aware")
    return moment.astimezone(UTC)


def parse_score(value: Any, what: str = "score") -> float:
    """A finite percentage in 0..100."""
    number = parse_float(value, what)
    if not 0.0 <= number <= 100.0:
        raise RowProblem(f"{what} {number:g} is outside 0..100")
    return number


def parse_float(value: Any, what: str) -> float:
    """A finite number from a cell or JSON value."""
    if isinstance(value, bool) or value is None:
        raise RowProblem(f"{what} is missing")
    if isinstance(value, (int, float)):
        number = float(value)
    else:
        text = str(value).strip()
        if not text:
            raise RowProblem(f"{what} is empty")
        try:
            number = float(text)
        except ValueError:
            raise RowProblem(f"{what} {text!r} is not a number") from None
    if not math.isfinite(number):
        raise RowProblem(f"{what} {value!r} is not finite")
    return number


def parse_count(value: Any, what: str) -> int:
    """A non-negative whole count."""
    if isinstance(value, bool) or value is None:
        raise RowProblem(f"{what} is missing")
    if isinstance(value, int):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    else:
        text = str(value).strip()
        if not text:
            raise RowProblem(f"{what} is empty")
        try:
            number = int(text)
        except ValueError:
            raise RowProblem(f"{what} {text!r} is not a whole number") from None
    if number < 0:
        raise RowProblem(f"{what} {number} is negative")
    return number


def binomial_stderr_pct(successes: int, trials: int) -> float:
    """Standard error of a success rate, in percentage points: sqrt(p(1-p)/n)*100."""
    if trials <= 0:
        raise RowProblem("standard error needs at least one trial")
    p = successes / trials
    return math.sqrt(p * (1.0 - p) / trials) * 100.0


def slugify(text: str) -> str:
    """Lowercase, runs of other characters collapsed to '-' (for ids and slugs)."""
    return re.sub(r"[^a-z0-9.]+", "-", text.strip().lower()).strip("-")


def line_of(text: str, needle: str, start_line: int = 1) -> int:
    """1-based line of the first occurrence of `needle` at or after `start_line`; 0 if none."""
    for number, line in enumerate(text.splitlines(), start=1):
        if number >= start_line and needle in line:
            return number
    return 0

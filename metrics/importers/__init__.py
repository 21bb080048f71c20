"""Pure parsers that turn published benchmark-result files into run records.

One module per source format, each with ``parse(...) -> ParseResult``:
``generic_csv`` (our CSV import shape), ``k2vv_tables`` (K2 Vendor Verifier's
published tables), ``k2vv_summary`` (the verifier tool's summary.json) and
``tau2`` (a tau2-bench leaderboard submission.json). The shared record types
and alias-table helpers live in ``records``. No Django here: the services
that store runs call these.
"""

from metrics.importers.records import (
    BenchmarkSpec,
    ParseResult,
    RowError,
    RunRecord,
    default_model_aliases,
    default_provider_aliases,
    load_aliases,
    lookup_alias,
)

__all__ = [
    "BenchmarkSpec",
    "ParseResult",
    "RowError",
    "RunRecord",
    "default_model_aliases",
    "default_provider_aliases",
    "load_aliases",
    "lookup_alias",
]

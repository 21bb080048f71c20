"""Open-data file formats (API.md 1.1): header-first CSV, JSON Lines, JSON.

Pure: rows in, text out. Every row has every column (empty/None where unknown), so the
CSV reads with `pandas.read_csv(url)` and the JSON Lines with
`datasets.load_dataset("json", data_files=url)`, both without options. Licence and
source travel in the dataset card and the HTTP headers, never inside the data.
"""

import csv
import io
import json
from collections.abc import Sequence

FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "jsonl": "application/x-ndjson; charset=utf-8",
    "json": "application/json",
}


def _complete(rows: Sequence[dict], columns: Sequence[str]) -> list[dict]:
    unknown = {key for row in rows for key in row} - set(columns)
    # A column that is not documented must not ship: fail loudly rather than drop it.
    if unknown:
        raise ValueError(f"undocumented export columns: {sorted(unknown)}")
    return [{name: row.get(name) for name in columns} for row in rows]


def to_csv(rows: Sequence[dict], columns: Sequence[str]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(columns), lineterminator="\n")
    writer.writeheader()
    # Floats keep their full precision (repr), so sums reproduce the served figures.
    writer.writerows(_complete(rows, columns))
    return buffer.getvalue()


def to_jsonl(rows: Sequence[dict], columns: Sequence[str]) -> str:
    return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in _complete(rows, columns))


def to_json(rows: Sequence[dict], columns: Sequence[str], meta: dict) -> str:
    return json.dumps({**meta, "columns": list(columns), "rows": _complete(rows, columns)},
                      ensure_ascii=False)


def render(fmt: str, rows: Sequence[dict], columns: Sequence[str], meta: dict) -> str:
    if fmt == "csv":
        return to_csv(rows, columns)
    if fmt == "jsonl":
        return to_jsonl(rows, columns)
    if fmt == "json":
        return to_json(rows, columns, meta)
    raise ValueError(f"unknown format {fmt!r}")

"""The slugs of API.md, written once: model `author/name`, provider `[a-z0-9-]+`, benchmark.

Pure: no Django. Each pattern is an unanchored fragment in the common subset of Python's
`re` and ECMA 262 (what OpenAPI's `pattern` means), so the same text serves the models'
validators, the URL converters, the API's parsers, its serializers and its schema.
Python matches it with `fullmatch` (a `$` there would let a trailing newline through).
"""

import re

PROVIDER = r"[a-z0-9-]+"
PROVIDER_MAX_LENGTH = 64

_AUTHOR = r"[A-Za-z0-9._-]+"
_NAME = r"[A-Za-z0-9._-]+"
# A stored model may carry a `:suffix` (an OpenRouter-style variant name kept as a model of
# its own); registration refuses one (API.md 1.1), so it has its own pattern, MODEL_BASE.
MODEL = rf"{_AUTHOR}/{_NAME}(?::[A-Za-z0-9._:-]*)?"
MODEL_BASE = rf"{_AUTHOR}/{_NAME}"
MODEL_MAX_LENGTH = 128

# Benchmarks live in metrics; their slug is here so that every slug rule is in one place.
BENCHMARK = r"[a-z0-9][a-z0-9_-]*"
BENCHMARK_MAX_LENGTH = 64


def schema_pattern(fragment: str) -> str:
    """The fragment as a whole-string JSON Schema `pattern` (ECMA 262: `$` ends the input)."""
    return f"^(?:{fragment})$"


def python_pattern(fragment: str) -> str:
    """The fragment as a whole-string Python pattern (for `re.search`, as RegexValidator)."""
    return rf"\A(?:{fragment})\Z"


def matcher(fragment: str):
    """`fullmatch` of the fragment: the value as a whole, no trailing newline."""
    return re.compile(fragment).fullmatch


is_provider = matcher(PROVIDER)
is_model = matcher(MODEL)
is_model_base = matcher(MODEL_BASE)
is_benchmark = matcher(BENCHMARK)

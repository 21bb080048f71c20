"""The fast depth pre-scan of request bodies answers exactly as the regex scan does."""

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from exacto_site.json_body import _exact_depth_exceeds, json_depth_exceeds

TRICKY = st.text(alphabet='[]{}"\\/ab\u00e9\u2028', max_size=12)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | TRICKY,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TRICKY, inner, max_size=4),
    max_leaves=40,
)


@settings(max_examples=400, deadline=None)
@given(JSON, st.integers(min_value=0, max_value=8), st.booleans())
def test_fast_scan_agrees_with_the_exact_scan(value, limit, ascii_only):
    text = json.dumps(value, ensure_ascii=ascii_only)
    assert json_depth_exceeds(text, limit) == _exact_depth_exceeds(text, limit)


@given(st.integers(min_value=1, max_value=200), st.integers(min_value=1, max_value=80))
def test_deep_nesting_is_caught_whatever_the_bracket_mix(depth, limit):
    opening = "".join("[{"[i % 2] if i % 2 == 0 else '{"k":' for i in range(depth))
    text = opening + "1" + "".join("]" if i % 2 == 0 else "}" for i in reversed(range(depth)))
    assert json.loads(text) is not None
    assert json_depth_exceeds(text, limit) == (depth > limit)


def test_brackets_hidden_in_strings_do_not_hide_depth():
    # Closing brackets inside strings must not lower the depth seen outside them.
    text = "[" * 70 + '"]]]]"' + "]" * 70
    assert json_depth_exceeds(text, 64) is True
    assert json_depth_exceeds('["' + "[" * 100 + '"]', 64) is False


# --- msgspec reads bodies; json.loads decides wherever the two could differ -------------------

NUMBER = st.builds(
    lambda sign, whole, fraction, exponent: sign + whole + fraction + exponent,
    st.sampled_from(["", "-"]),
    st.one_of(st.just("0"), st.from_regex(r"[1-9][0-9]{0,40}", fullmatch=True)),
    st.one_of(st.just(""), st.from_regex(r"\.[0-9]{1,40}", fullmatch=True)),
    st.one_of(st.just(""), st.from_regex(r"[eE][+-]?[0-9]{1,4}", fullmatch=True)),
)
STRING = st.lists(st.sampled_from(['\\"', "\\\\", "\\n", "\\u00e9", "\\ud800", "\\udc00",
                                    "\\ud83d\\ude00", "\\u0000", "a", "\u00e9", "\t", "\\/"]),
                  max_size=6).map(lambda parts: '"' + "".join(parts) + '"')


def _loads_or_error(text):
    try:
        return "value", repr(json.loads(text))
    except (ValueError, RecursionError) as exc:
        return "error", str(exc)


@settings(max_examples=500, deadline=None)
@given(st.one_of(NUMBER, STRING, st.floats().map(repr), st.integers().map(str),
                 st.lists(st.one_of(NUMBER, STRING), max_size=4).map(lambda xs: "[" + ",".join(xs) + "]"),
                 st.lists(STRING, max_size=3).map(lambda ks: "{" + ",".join(f"{k}: 1" for k in ks) + "}")))
def test_bounded_loads_reads_what_json_loads_reads(text):
    from exacto_site.json_body import bounded_loads

    try:
        got = "value", repr(bounded_loads(text))
    except (ValueError, RecursionError) as exc:
        got = "error", str(exc)
    assert got == _loads_or_error(text)

"""Safe JSON Schema validation of tool arguments (METHODOLOGY.md §1)."""

import json
import math
import socket
import threading
import time
import urllib.request

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft7Validator

from metrics import schema_validation
from metrics.schema_validation import (
    MISMATCH,
    UNCHECKED,
    VALID,
    CheckResult,
    ValidatorCache,
    canonical_json,
)
from metrics.schema_validation.safe import refuse_retrieval

WEATHER = {
    "type": "object",
    "properties": {
        "city": {"type": "string"},
        "units": {"type": "string", "enum": ["metric", "imperial"]},
        "days": {"type": "integer", "minimum": 1},
        "verbose": {"type": "boolean"},
    },
    "required": ["city"],
    "additionalProperties": False,
}


@pytest.fixture
def cache():
    return ValidatorCache()


def nested(depth, leaf, key="a"):
    value = leaf
    for _ in range(depth):
        value = {key: value}
    return value


def test_valid_arguments_are_valid_with_empty_message(cache):
    assert cache.check(WEATHER, {"city": "Paris", "units": "metric"}) == CheckResult(VALID, "")


def test_enum_violation_is_mismatch_with_json_path(cache):
    result = cache.check(WEATHER, {"city": "Paris", "units": "kelvin"})
    assert result.status == MISMATCH
    assert result.message.startswith("$.units: 'kelvin' is not one of")


def test_missing_required_property_is_mismatch(cache):
    result = cache.check(WEATHER, {"units": "metric"})
    assert result == CheckResult(MISMATCH, "$: 'city' is a required property")


def test_extra_property_is_mismatch_when_additional_properties_false(cache):
    result = cache.check(WEATHER, {"city": "Paris", "extra": 1})
    assert result.status == MISMATCH
    assert "'extra' was unexpected" in result.message


def test_boolean_is_not_an_integer(cache):
    assert cache.check(WEATHER, {"city": "Paris", "days": True}).status == MISMATCH


def test_float_with_integral_value_is_an_integer_in_draft_7(cache):
    assert cache.check(WEATHER, {"city": "Paris", "days": 2.0}).status == VALID


def test_draft_4_float_is_not_an_integer(cache):
    schema = {"$schema": "http://json-schema.org/draft-04/schema#", "type": "integer"}
    assert cache.check(schema, 2.0).status == MISMATCH


def test_draft_4_boolean_exclusive_maximum_excludes_the_bound(cache):
    schema = {
        "$schema": "http://json-schema.org/draft-04/schema#",
        "type": "number",
        "maximum": 5,
        "exclusiveMaximum": True,
    }
    assert cache.check(schema, 5).status == MISMATCH
    assert cache.check(schema, 4.5).status == VALID


def test_boolean_exclusive_maximum_is_not_a_valid_draft_7_schema(cache):
    schema = {"type": "number", "maximum": 5, "exclusiveMaximum": True}
    result = cache.check(schema, 5)
    assert result.status == UNCHECKED
    assert "not a valid JSON Schema" in result.message


def test_draft_2020_12_prefix_items_are_applied(cache):
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "array",
        "prefixItems": [{"type": "integer"}, {"type": "string"}],
        "items": False,
    }
    assert cache.check(schema, [1, "a"]).status == VALID
    assert cache.check(schema, ["a", 1]).status == MISMATCH
    assert cache.check(schema, [1, "a", 2]).status == MISMATCH


def test_prefix_items_are_ignored_under_the_draft_7_default(cache):
    schema = {"type": "array", "prefixItems": [{"type": "integer"}]}
    assert cache.check(schema, ["not an integer"]).status == VALID


def test_unknown_dialect_is_unchecked(cache):
    # An unknown dialect may give keywords other meanings (METHODOLOGY.md §1).
    schema = {"$schema": "https://example.com/my-dialect", "type": "integer"}
    result = cache.check(schema, "x")
    assert result.status == UNCHECKED
    assert "unknown dialect" in result.message


def test_schema_without_dialect_is_draft_7(cache):
    assert cache.check({"type": "integer"}, 2.0).status == VALID
    assert cache.check({"type": "integer"}, "x").status == MISMATCH


def test_ref_to_an_id_inside_the_schema_is_local(cache):
    schema = {
        "$id": "https://example.com/root.json",
        "properties": {"a": {"$ref": "item.json"}},
        "definitions": {"item": {"$id": "item.json", "type": "integer"}},
    }
    assert cache.check(schema, {"a": 1}).status == VALID
    assert cache.check(schema, {"a": "x"}).status == MISMATCH


def test_ref_to_a_standard_meta_schema_resolves_offline(cache, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("network access attempted")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(urllib.request, "urlopen", refuse)
    schema = {"properties": {"s": {"$ref": "http://json-schema.org/draft-07/schema#"}}}
    assert cache.check(schema, {"s": {"type": "string"}}).status == VALID
    assert cache.check(schema, {"s": {"type": 12}}).status == MISMATCH


def test_format_is_not_asserted(cache):
    assert cache.check({"type": "string", "format": "email"}, "not an email").status == VALID


def test_local_ref_is_followed(cache):
    schema = {
        "type": "object",
        "properties": {"a": {"$ref": "#/definitions/n"}},
        "definitions": {"n": {"type": "integer"}},
    }
    assert cache.check(schema, {"a": 1}).status == VALID
    assert cache.check(schema, {"a": "x"}) == CheckResult(
        MISMATCH, "$.a: 'x' is not of type 'integer'"
    )


def test_dangling_local_ref_is_unchecked(cache):
    schema = {"properties": {"a": {"$ref": "#/definitions/missing"}}}
    result = cache.check(schema, {"a": 1})
    assert result.status == UNCHECKED
    assert "cannot be resolved" in result.message


@pytest.mark.parametrize("keyword", ["$ref", "$dynamicRef", "$recursiveRef"])
def test_non_local_reference_is_unchecked(cache, keyword):
    schema = {"properties": {"a": {keyword: "https://example.com/schema.json"}}}
    result = cache.check(schema, {"a": 1})
    assert result.status == UNCHECKED
    assert "is not local" in result.message


def test_ref_inside_enum_data_is_not_a_reference(cache):
    schema = {"enum": [{"$ref": "https://example.com/x"}]}
    assert cache.check(schema, {"$ref": "https://example.com/x"}).status == VALID


def test_remote_ref_makes_no_network_access(cache, monkeypatch):
    attempts = []

    def refuse(*args, **kwargs):
        attempts.append(args)
        raise AssertionError("network access attempted")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(urllib.request, "urlopen", refuse)
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$ref": "https://example.com/remote.json",
        "$defs": {"x": {"$ref": "http://10.255.255.1/hang.json"}},
    }
    started = time.perf_counter()
    result = cache.check(schema, {"a": 1})
    assert result.status == UNCHECKED
    assert time.perf_counter() - started < 0.5
    assert attempts == []


def test_resolution_outside_the_schema_is_refused_by_the_registry():
    with pytest.raises(LookupError):
        refuse_retrieval("https://example.com/x.json")


def test_catastrophic_pattern_is_answered_quickly_by_re2(cache):
    schema = {"type": "string", "pattern": "^(a+)+$"}
    started = time.perf_counter()
    assert cache.check(schema, "a" * 50 + "!").status == MISMATCH
    assert cache.check(schema, "a" * 50).status == VALID
    assert time.perf_counter() - started < 0.5


def test_catastrophic_pattern_properties_are_answered_quickly(cache):
    schema = {
        "type": "object",
        "patternProperties": {"^(a+)+$": {"type": "integer"}},
        "additionalProperties": False,
    }
    started = time.perf_counter()
    assert cache.check(schema, {"a" * 50: 1}).status == VALID
    assert cache.check(schema, {"a" * 50 + "!": 1}).status == MISMATCH
    assert cache.check(schema, {"a" * 50: "x"}).status == MISMATCH
    assert time.perf_counter() - started < 0.5


def test_catastrophic_pattern_in_property_names_is_answered_quickly(cache):
    schema = {"type": "object", "propertyNames": {"pattern": "^(a+)+$"}}
    started = time.perf_counter()
    assert cache.check(schema, {"a" * 50 + "!": 1}).status == MISMATCH
    assert time.perf_counter() - started < 0.5


def test_pattern_re2_cannot_compile_is_unchecked_with_reason(cache):
    result = cache.check({"type": "string", "pattern": "^(?=a)a$"}, "a")
    assert result.status == UNCHECKED
    assert "not supported by the linear-time regex engine" in result.message


def test_pattern_is_searched_not_anchored(cache):
    assert cache.check({"type": "string", "pattern": "b+"}, "abbc").status == VALID


def test_unevaluated_properties_with_pattern_properties_is_unchecked(cache):
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "patternProperties": {"^x": {}},
        "unevaluatedProperties": False,
    }
    assert cache.check(schema, {"x1": 1}).status == UNCHECKED


def test_huge_enum_is_unchecked(cache):
    schema = {"enum": list(range(schema_validation.MAX_ENUM_ITEMS + 1))}
    result = cache.check(schema, 1)
    assert result == CheckResult(UNCHECKED, "enum has more than 10000 items")


def test_enum_at_the_limit_is_checked(cache):
    schema = {"enum": list(range(schema_validation.MAX_ENUM_ITEMS))}
    assert cache.check(schema, 9999).status == VALID
    assert cache.check(schema, -1).status == MISMATCH


def test_enum_distinguishes_true_from_one(cache):
    assert cache.check({"enum": [1]}, True).status == MISMATCH
    assert cache.check({"enum": [True]}, 1).status == MISMATCH
    assert cache.check({"enum": [1]}, 1.0).status == VALID


def test_oversized_schema_is_unchecked(cache):
    schema = {"description": "x" * (schema_validation.MAX_SCHEMA_BYTES + 1)}
    assert cache.check(schema, 1).status == UNCHECKED


def test_schema_with_too_many_nodes_is_unchecked(cache):
    schema = {"allOf": [{} for _ in range(schema_validation.MAX_SCHEMA_NODES + 1)]}
    result = cache.check(schema, 1)
    assert result.status == UNCHECKED
    assert "nodes" in result.message


def test_oversized_arguments_are_unchecked(cache):
    arguments = {"blob": "x" * (schema_validation.MAX_ARGUMENTS_BYTES + 1)}
    assert cache.check({"type": "object"}, arguments).status == UNCHECKED


def test_five_thousand_deep_schema_is_unchecked_quickly(cache):
    schema = nested(5000, {"type": "integer"}, key="not")
    started = time.perf_counter()
    result = cache.check(schema, 1)
    assert result.status == UNCHECKED
    assert time.perf_counter() - started < 2


def test_five_thousand_deep_arguments_are_unchecked_quickly(cache):
    schema = {"$ref": "#/definitions/tree", "definitions": {
        "tree": {"type": "object", "additionalProperties": {"$ref": "#/definitions/tree"}}}}
    started = time.perf_counter()
    result = cache.check(schema, nested(5000, {}))
    assert result.status == UNCHECKED
    assert time.perf_counter() - started < 2


def test_validation_past_its_budget_is_unchecked(cache):
    schema = {"type": "array", "items": {"$ref": "#/definitions/x"},
              "definitions": {"x": {"anyOf": [{"type": "string"}, {"type": "integer"}]}}}
    result = cache.check(schema, list(range(20_000)), budget_ms=0.01)
    assert result == CheckResult(UNCHECKED, "validation exceeded its time budget (0.01 ms)")
    assert cache.check(schema, list(range(20_000)), budget_ms=5_000).status == VALID


def test_non_object_parameters_are_unchecked(cache):
    for parameters in (None, "object", 3, [{"type": "object"}]):
        assert cache.check(parameters, {}).status == UNCHECKED


def test_boolean_schemas_are_usable(cache):
    assert cache.check(True, {"any": 1}).status == VALID
    assert cache.check(False, {}).status == MISMATCH


def test_invalid_schema_is_unchecked(cache):
    result = cache.check({"type": "objekt"}, {})
    assert result.status == UNCHECKED
    assert "not a valid JSON Schema" in result.message


def test_non_string_schema_uri_is_unchecked(cache):
    assert cache.check({"$schema": ["x"], "type": "object"}, {}).status == UNCHECKED


def test_long_mismatch_message_is_truncated(cache):
    result = cache.check({"type": "integer"}, "x" * 10_000)
    assert result.status == MISMATCH
    assert len(result.message) <= schema_validation.MAX_MESSAGE_CHARS


def test_cache_reuses_compiled_validators_for_equal_schemas(cache):
    cache.check(WEATHER, {"city": "a"})
    reordered = dict(reversed(list(WEATHER.items())))
    cache.check(reordered, {"city": "b"})
    assert (cache.misses, cache.hits, len(cache)) == (1, 1, 1)


@pytest.mark.parametrize(("schema", "text"), [
    (WEATHER, '{"city": "a"}'),  # native path: valid
    (WEATHER, '{"city": 3}'),  # native says no: jsonschema decides and writes the message
    ({"type": "object", "properties": {"s": {"pattern": "^a+$"}}}, '{"s": "b"}'),  # re2
    ({"$ref": "https://example.com/s.json"}, "{}"),  # unusable
    ({"type": "integer"}, "1.0"),
    ({"const": True}, "1"),
    ({"type": "array"}, "[" + "0," * 600_000 + "0]"),  # arguments over MAX_ARGUMENTS_BYTES
    ({"type": "object", "description": "d" * schema_validation.MAX_SCHEMA_BYTES}, "{}"),
    (["not", "a", "schema"], "{}"),
])
def test_check_decoded_agrees_with_check_when_missing_and_cached(schema, text):
    arguments = json.loads(text)
    reference = ValidatorCache().check(schema, arguments, arguments_size=len(text))
    cache = ValidatorCache()
    canonical = canonical_json(schema)
    first = cache.check_decoded(schema, canonical, arguments, len(text))  # compiles
    second = cache.check_decoded(schema, canonical, arguments, len(text))  # cached
    assert first == second == reference
    assert (cache.misses, cache.hits) == ((1, 1) if len(cache) else (0, 0))


def test_cache_is_bounded_and_evicts_least_recently_used():
    cache = ValidatorCache(maxsize=3)
    for n in range(5):
        cache.check({"maximum": n}, 0)
    assert len(cache) == 3
    cache.check({"maximum": 4}, 0)
    assert cache.hits == 1
    cache.check({"maximum": 0}, 0)
    assert cache.misses == 6


def test_canonical_json_ignores_key_order_and_keeps_types():
    first = canonical_json({"b": 1, "a": [True, None]})
    assert first == canonical_json({"a": [True, None], "b": 1})
    assert canonical_json({"a": 1}) != canonical_json({"a": True})
    assert canonical_json({"a": object()}) is None


def test_cache_is_usable_from_several_threads(cache):
    errors = []

    def work(offset):
        for n in range(200):
            result = cache.check({"type": "integer", "maximum": n % 7}, offset % 7)
            expected = VALID if offset % 7 <= n % 7 else MISMATCH
            if result.status != expected:
                errors.append((offset, n, result))

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(cache) == 7


# --- agreement with plain jsonschema -----------------------------------------

SCHEMAS = [
    WEATHER,
    {"type": "object", "properties": {"a": {"type": ["string", "null"]},
                                      "b": {"type": "array", "items": {"type": "number"},
                                            "minItems": 1, "maxItems": 3}},
     "additionalProperties": {"type": "boolean"}},
    {"anyOf": [{"type": "string", "maxLength": 3}, {"type": "integer", "maximum": 10}]},
    {"allOf": [{"minimum": 0}, {"exclusiveMaximum": 5}], "not": {"const": 3}},
    {"oneOf": [{"type": "integer"}, {"type": "number"}]},
    {"type": "object", "properties": {"k": {"const": {"x": [1, True]}}},
     "required": ["k"]},
    {"type": "array", "uniqueItems": True},
    {"type": "string", "pattern": "^[a-c]+$", "minLength": 2},
]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-20, 20) | st.floats(-20, 20, allow_nan=False)
    | st.text(alphabet="abcxk", max_size=4),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.sampled_from(["a", "b", "city", "units", "days", "k", "x"]),
                      children, max_size=4),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(schema=st.sampled_from(SCHEMAS), instance=json_values)
def test_verdict_agrees_with_plain_jsonschema(schema, instance):
    expected = Draft7Validator(schema).is_valid(instance)
    result = ValidatorCache().check(schema, instance)
    assert result.status == (VALID if expected else MISMATCH)


@settings(max_examples=200, deadline=None)
@given(schema=json_values, instance=json_values)
def test_check_never_raises_on_arbitrary_json(schema, instance):
    result = ValidatorCache().check(schema, instance)
    assert result.status in (VALID, MISMATCH, UNCHECKED)


def test_fast_path_work_is_bounded_by_the_arguments_not_the_schema(cache):
    # 2,000 properties checked against each of 120,000 objects took 6 s and more when the
    # fast path walked the schema's properties for every object; now it walks the object's
    # own keys and hands a long array to the deadline-checked validator.
    schema = {"type": "array", "items": {"type": "object", "minProperties": 0,
                                         "properties": {f"p{i}": {} for i in range(2000)}}}
    arguments = [{} for _ in range(120_000)]
    started = time.perf_counter()
    result = cache.check(schema, arguments, budget_ms=50, arguments_size=360_001)
    assert time.perf_counter() - started < 5
    assert result.status in (VALID, UNCHECKED)  # valid, or out of budget on a loaded machine


def _compiled(cache, schema):
    return cache.compiled(schema, canonical_json(schema))


def test_native_path_only_where_it_cannot_differ_or_run_long(cache):
    assert _compiled(cache, WEATHER).native is not None
    with_pattern = {"type": "object", "properties": {"id": {"type": "string", "pattern": r"^\d+$"}}}
    assert _compiled(cache, with_pattern).native is None  # Unicode \d there, ASCII in re2
    draft4 = {"$schema": "http://json-schema.org/draft-04/schema#", "type": "integer"}
    assert _compiled(cache, draft4).native is None  # 1.0 is not an integer in Draft 4
    large = {"type": "object", "properties": {f"p{i}": {"type": "string"} for i in range(200)}}
    assert _compiled(cache, large).native is None  # no deadline there: small schemas only
    with_ref = {"$defs": {"a": {"type": "string"}}, "$ref": "#/$defs/a"}
    assert _compiled(cache, with_ref).native is None  # no fast path at all


def test_native_path_is_used_only_for_values_decoded_from_json(cache):
    # A tuple is an array to jsonschema_rs and not to jsonschema: values that did not come
    # from our decoder (no arguments_size) never reach it.
    assert cache.check({"type": "array"}, (1, 2)).status == MISMATCH


def test_native_path_refuses_what_it_cannot_take(cache):
    # jsonschema_rs cannot encode a lone surrogate; the Python paths decide instead.
    result = cache.check({"type": "string", "maxLength": 3}, "\ud800", arguments_size=8)
    assert result == CheckResult(VALID, "")
    result = cache.check({"type": "string", "maxLength": 0}, "\ud800", arguments_size=8)
    assert result.status == MISMATCH



def test_a_garbage_collection_is_not_charged_to_a_schema_s_budget():
    """CI saw a cheap 2020-12 schema cached as over its 500 ms compile budget: a full
    collection of the test process's heap ran inside the check. Here a collection that
    pauses 0.6 s is made likely on every allocation; compiling still fits the budget."""
    import gc

    from jsonschema import Draft202012Validator

    from metrics.schema_validation.guards import deadline
    from metrics.schema_validation.safe import compile_safe

    schema = {"unevaluatedProperties": {"type": "string"},
              "properties": {"a": {"type": "integer"}}}
    paused = []

    def slow_collection(phase, info):
        if phase == "start" and deadline.at != math.inf and not paused:  # inside a check
            paused.append(info["generation"])
            time.sleep(0.6)

    thresholds = gc.get_threshold()
    gc.set_threshold(1, 1, 1)
    gc.callbacks.append(slow_collection)
    try:
        validator, reason = compile_safe(schema, Draft202012Validator)
    finally:
        gc.callbacks.remove(slow_collection)
        gc.set_threshold(*thresholds)
    assert (paused, reason) == ([], "")  # no collection ran inside the check
    assert validator is not None


# --- a compile over its budget is retried (cache.py OVER_BUDGET) ---------------------------


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _stall(monkeypatch, stalled: bool) -> None:
    """A stalled process, for real: every compile's deadline (safe.py reads its budget at each
    compile) has passed before it starts; then the documented budget again."""
    from metrics.schema_validation import safe
    from metrics.schema_validation.common import COMPILE_BUDGET_MS

    monkeypatch.setattr(safe, "COMPILE_BUDGET_MS", -1.0 if stalled else COMPILE_BUDGET_MS)


def test_a_compile_over_its_budget_is_retried_after_a_doubling_back_off(monkeypatch):
    from metrics.schema_validation.cache import OVER_BUDGET, RETRY_FIRST_SECONDS

    clock = _Clock()
    cache = ValidatorCache(clock=clock)
    _stall(monkeypatch, True)
    assert cache.check(WEATHER, {"city": "a"}) == CheckResult(UNCHECKED, OVER_BUDGET)
    compiles = 1
    for backoff in (RETRY_FIRST_SECONDS, 2 * RETRY_FIRST_SECONDS):
        clock.now += backoff - 1
        assert cache.check(WEATHER, {"city": "a"}).status == UNCHECKED
        assert cache.misses == compiles  # not compiled again before its time
        clock.now += 1
        assert cache.check(WEATHER, {"city": "a"}).status == UNCHECKED  # retried, still over
        compiles += 1
        assert cache.misses == compiles
    _stall(monkeypatch, False)
    clock.now += 4 * RETRY_FIRST_SECONDS - 1
    assert cache.check(WEATHER, {"city": "a"}).status == UNCHECKED
    clock.now += 1
    assert cache.check(WEATHER, {"city": "a"}).status == VALID  # healed
    assert cache.check(WEATHER, {"city": 1}).status == MISMATCH
    assert (cache.misses, len(cache)) == (compiles + 1, 1)


def test_the_back_off_stops_doubling_at_its_cap(monkeypatch):
    from metrics.schema_validation.cache import RETRY_MAX_SECONDS

    clock = _Clock()
    cache = ValidatorCache(clock=clock)
    _stall(monkeypatch, True)
    gaps, last = [], clock.now
    cache.check(WEATHER, {})
    for _ in range(20_000):  # seconds: 60 + 120 + … + 1920, then the cap three times
        if len(gaps) == 9:
            break
        clock.now += 1
        misses = cache.misses
        cache.check(WEATHER, {})
        if cache.misses > misses:
            gaps.append(clock.now - last)
            last = clock.now
    assert gaps == [60, 120, 240, 480, 960, 1920, *[RETRY_MAX_SECONDS] * 3]


def test_a_schema_unusable_for_its_own_reasons_is_not_compiled_again():
    clock = _Clock()
    cache = ValidatorCache(clock=clock)
    dialect = {"$schema": "https://example.com/mine", "type": "object"}
    assert cache.check(dialect, {}).status == UNCHECKED
    clock.now += 10 ** 7
    assert cache.check(dialect, {}).status == UNCHECKED
    assert (cache.misses, cache.hits) == (1, 1)


def test_check_decoded_keeps_the_back_off_of_a_compile_over_its_budget(monkeypatch):
    # classify's per-call path: an over-budget schema is never in the LRU it reads first
    from metrics.schema_validation.cache import OVER_BUDGET, RETRY_FIRST_SECONDS

    clock = _Clock()
    cache = ValidatorCache(clock=clock)
    canonical, text = canonical_json(WEATHER), '{"city": "a"}'

    def check() -> CheckResult:
        return cache.check_decoded(WEATHER, canonical, json.loads(text), len(text))

    _stall(monkeypatch, True)
    assert check() == CheckResult(UNCHECKED, OVER_BUDGET)
    _stall(monkeypatch, False)
    clock.now += RETRY_FIRST_SECONDS - 1
    assert check() == CheckResult(UNCHECKED, OVER_BUDGET)
    assert cache.misses == 1  # not compiled again before its time
    clock.now += 1
    assert check().status == VALID  # retried, healed
    assert (check().status, cache.misses, cache.hits) == (VALID, 2, 2)

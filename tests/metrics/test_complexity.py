"""Schema complexity score and buckets (METHODOLOGY.md §3)."""

import time

import pytest

from metrics.choices import Bucket
from metrics.complexity import bucket_for, complexity_score


def test_empty_schema_scores_zero():
    assert complexity_score({}) == 0


@pytest.mark.parametrize("value", [None, True, False, 3, "object", [], [{"type": "object"}]])
def test_non_object_parameters_score_zero(value):
    assert complexity_score(value) == 0


def test_flat_object_counts_properties_depth_enum_and_required():
    schema = {
        "type": "object",
        "properties": {
            "city": {"type": "string"},
            "units": {"type": "string", "enum": ["metric", "imperial"]},
            "days": {"type": "integer"},
            "verbose": {"type": "boolean"},
        },
        "required": ["city"],
    }
    # 4 properties + 2 * depth 1 + 1 enum + 1 required
    assert complexity_score(schema) == 8


def test_nested_object_inside_array_adds_depth_per_level():
    schema = {
        "type": "object",
        "properties": {
            "items": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {"sku": {"type": "string"}, "qty": {"type": "integer"}},
                    "required": ["sku", "qty"],
                },
            },
        },
        "required": ["items"],
    }
    # properties: 1 + 2 = 3; depth: items property (1) -> array items (2) -> sku (3)
    # required: 1 + 2 = 3; no counted keywords
    assert complexity_score(schema) == 3 + 2 * 3 + 3


def test_combinators_count_as_keywords_and_do_not_add_depth():
    schema = {
        "anyOf": [{"type": "string"}, {"type": "null"}],
        "oneOf": [{"enum": [1, 2]}],
        "allOf": [{}],
    }
    # anyOf + oneOf + allOf + the nested enum = 4 keywords, depth 0
    assert complexity_score(schema) == 4


def test_property_named_like_a_keyword_is_counted_once():
    schema = {"properties": {"properties": {"type": "string"}, "enum": {"type": "string"}}}
    # two properties at depth 1; the names "properties"/"enum" are not keywords
    assert complexity_score(schema) == 2 + 2


def test_definitions_are_counted_without_adding_depth():
    schema = {
        "$defs": {"point": {"properties": {"x": {}, "y": {}}, "required": ["x"]}},
        "properties": {"p": {"$ref": "#/$defs/point"}},
    }
    # properties: 1 + 2; depth 1 (p, x, y are all one level below their owner); required 1
    assert complexity_score(schema) == 3 + 2 + 1


def test_ten_thousand_levels_deep_schema_is_scored_without_recursion():
    schema: dict = {"type": "string"}
    for _ in range(10_000):
        schema = {"type": "object", "properties": {"a": schema}}
    started = time.perf_counter()
    assert complexity_score(schema) == 10_000 + 2 * 10_000
    assert time.perf_counter() - started < 2


@pytest.mark.parametrize(
    ("score", "bucket"),
    [
        (0, Bucket.SIMPLE),
        (5, Bucket.SIMPLE),
        (6, Bucket.MEDIUM),
        (15, Bucket.MEDIUM),
        (16, Bucket.COMPLEX),
        (1000, Bucket.COMPLEX),
    ],
)
def test_bucket_edges(score, bucket):
    assert bucket_for(score) is bucket


def test_bucket_thresholds_are_settings():
    assert bucket_for(6, simple_max=6) is Bucket.SIMPLE
    assert bucket_for(7, simple_max=6, medium_max=7) is Bucket.MEDIUM
    assert bucket_for(8, simple_max=6, medium_max=7) is Bucket.COMPLEX


def test_bucket_values_are_the_api_strings():
    assert [b.value for b in Bucket] == ["simple", "medium", "complex"]

"""Tool-call F1 (K2 Vendor Verifier's definition) and schema accuracy. Pure."""

from metrics.probes.scoring import F1Score, schema_accuracy, tool_call_f1


def test_f1_counts_each_case_against_the_reference():
    mine = {"a": True, "b": True, "c": False, "d": False, "e": None}
    reference = {"a": True, "b": False, "c": True, "d": False, "e": True}
    # a TP, b FP, c FN, d TN; e has no answer: left out.
    assert tool_call_f1(mine, reference) == F1Score(tp=1, fp=1, fn=1, tn=1, f1=0.5)


def test_f1_is_zero_when_one_side_never_calls_and_undefined_when_neither_does():
    assert tool_call_f1({"a": False, "b": False}, {"a": True, "b": False}).f1 == 0.0
    assert tool_call_f1({"a": True}, {"a": False}).f1 == 0.0
    none = tool_call_f1({"a": False}, {"a": False})
    assert none.f1 is None and none.compared == 1
    assert tool_call_f1({"a": True}, {}).compared == 0


def test_schema_accuracy_counts_unchecked_as_valid():
    assert schema_accuracy(valid=6, unchecked=2, calls=10) == 0.8
    assert schema_accuracy(0, 0, 0) is None

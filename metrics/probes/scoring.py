"""Scores of a probe run (METHODOLOGY §11).

Pure: no Django.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class F1Score:
    """Tool-call F1 as K2 Vendor Verifier defines it: did the endpoint call a tool where the
    reference did? TP both call, FP only the endpoint, FN only the reference."""

    tp: int
    fp: int
    fn: int
    tn: int
    f1: float | None  # None when neither side ever called (2·TP + FP + FN = 0)

    @property
    def compared(self) -> int:
        return self.tp + self.fp + self.fn + self.tn


def tool_call_f1(decisions: Mapping[str, bool | None],
                 reference: Mapping[str, bool | None]) -> F1Score:
    """F1 over the cases both sides decided. A case is ``None`` on a side when its request
    failed (error or timeout): it is no decision, so it is left out of F1 and counted as
    an error instead."""
    tp = fp = fn = tn = 0
    for case_id, mine in decisions.items():
        theirs = reference.get(case_id)
        if mine is None or theirs is None:
            continue
        if mine and theirs:
            tp += 1
        elif mine:
            fp += 1
        elif theirs:
            fn += 1
        else:
            tn += 1
    denominator = 2 * tp + fp + fn
    # 2TP / (2TP + FP + FN) equals 2PR / (P + R) wherever that is defined, and is 0 when
    # TP = 0 but one side called (precision or recall 0).
    return F1Score(tp=tp, fp=fp, fn=fn, tn=tn, f1=(2 * tp / denominator) if denominator else None)


def schema_accuracy(valid: int, unchecked: int, calls: int) -> float | None:
    """(valid + unchecked) / calls (METHODOLOGY §1, §11); None without calls."""
    return (valid + unchecked) / calls if calls else None

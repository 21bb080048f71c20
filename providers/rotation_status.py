"""Pure: the rotation states an endpoint can be in (METHODOLOGY §6), defined once.

The state is catalogue data on ``providers.Endpoint``; the rule that moves it and the
service that writes it live in ``metrics`` (metrics/rotation_rules.py,
metrics/services/rotation.py). Both the pure rule and the Django choices
(providers/choices.py) are built from this enum, so the values cannot drift apart.
"""

from enum import StrEnum


class RotationStatus(StrEnum):
    ACTIVE = "active"
    BENCHMARK_HOLD = "benchmark_hold"
    ADMIN_REMOVED = "admin_removed"


LABELS = {
    RotationStatus.ACTIVE: "Active",
    RotationStatus.BENCHMARK_HOLD: "Benchmark hold",
    RotationStatus.ADMIN_REMOVED: "Removed by admin",
}

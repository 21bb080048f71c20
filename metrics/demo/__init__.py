"""Deterministic demo data: a catalog of the five exacto launch models, a tool library
and a traffic generator whose events go through the real ingestion pipeline.

Nothing here is a claim about a real provider: behaviours are assigned to
endpoints so that every rule of METHODOLOGY.md §7 has something to decide.
"""

from metrics.demo.catalog import (
    BEHAVIOURS,
    MODELS,
    PROVIDERS,
    Behaviour,
    DemoEndpoint,
    DemoModel,
    DemoProvider,
)
from metrics.demo.tools import TOOLS
from metrics.demo.traffic import generate_ignore_events, generate_tool_call_events

__all__ = [
    "BEHAVIOURS",
    "MODELS",
    "PROVIDERS",
    "TOOLS",
    "Behaviour",
    "DemoEndpoint",
    "DemoModel",
    "DemoProvider",
    "generate_ignore_events",
    "generate_tool_call_events",
]

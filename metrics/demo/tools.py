"""The demo's tool library: OpenAI-format function tools of every complexity bucket
(METHODOLOGY §3), each with a maker of valid arguments and a prompt, and the tool sets
that coding agents and assistants offer. metrics.demo.traffic draws requests from it.

Pure: no Django.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from metrics.choices import Bucket

Json = Any
ArgumentMaker = Callable[[random.Random], dict[str, Json]]


@dataclass(frozen=True)
class DemoTool:
    """One OpenAI-format function tool and a maker of valid arguments for it.

    `bucket` is the tool's complexity bucket under METHODOLOGY.md §3; the
    tests recompute it from `parameters` so it cannot drift.
    """

    name: str
    description: str
    parameters: dict[str, Json] | None
    bucket: Bucket
    make_arguments: ArgumentMaker
    prompt: str

    def as_request_tool(self) -> dict[str, Json]:
        function: dict[str, Json] = {"name": self.name, "description": self.description}
        if self.parameters is not None:
            function["parameters"] = self.parameters
        return {"type": "function", "function": function}


# --- The tool library -------------------------------------------------------

_CITIES = ["Paris", "Tokyo", "Lagos", "São Paulo", "Berlin", "Austin", "Mumbai", "Sydney"]
_ZONES = ["Europe/Paris", "Asia/Tokyo", "America/New_York", "UTC", "Australia/Sydney"]
_QUERIES = [
    "vllm tool call parser kimi k2",
    "python 3.13 release notes",
    "best practices for postgres indexes",
    "weather api free tier",
    "django 5.2 composite primary keys",
]
_PEOPLE = ["ana@example.com", "bo@example.org", "chen@example.net", "dee@example.com"]


def _weather_args(rng: random.Random) -> dict[str, Json]:
    args: dict[str, Json] = {"city": rng.choice(_CITIES)}
    if rng.random() < 0.3:
        args["unit"] = rng.choice(["celsius", "fahrenheit"])
    return args


def _time_args(rng: random.Random) -> dict[str, Json]:
    return {"timezone": rng.choice(_ZONES)}


def _search_args(rng: random.Random) -> dict[str, Json]:
    args: dict[str, Json] = {"query": rng.choice(_QUERIES)}
    if rng.random() < 0.6:
        args["max_results"] = rng.randint(1, 10)
    if rng.random() < 0.4:
        args["recency"] = rng.choice(["day", "week", "month", "any"])
    return args


def _email_args(rng: random.Random) -> dict[str, Json]:
    args: dict[str, Json] = {
        "to": rng.choice(_PEOPLE),
        "subject": rng.choice(["Status update", "Invoice #1182", "Lunch?"]),
        "body": "Hi,\n\nquick note about today's deploy: all green.\n\nThanks",
    }
    if rng.random() < 0.3:
        args["cc"] = rng.sample(_PEOPLE, rng.randint(1, 2))
    return args


def _read_file_args(rng: random.Random) -> dict[str, Json]:
    args: dict[str, Json] = {"path": rng.choice(["src/app.py", "README.md", "pyproject.toml"])}
    if rng.random() < 0.5:
        start = rng.randint(1, 200)
        args["start_line"] = start
        args["end_line"] = start + rng.randint(10, 80)
    return args


def _calendar_args(rng: random.Random) -> dict[str, Json]:
    day = rng.randint(1, 28)
    attendees = [
        {
            "email": email,
            "name": email.split("@")[0].title(),
            "optional": rng.random() < 0.3,
            "response": rng.choice(["needs_action", "accepted", "tentative"]),
        }
        for email in rng.sample(_PEOPLE, rng.randint(1, 3))
    ]
    args: dict[str, Json] = {
        "title": rng.choice(["Sprint review", "1:1", "Design sync"]),
        "start": f"2025-11-{day:02d}T10:00:00Z",
        "end": f"2025-11-{day:02d}T10:30:00Z",
        "attendees": attendees,
    }
    if rng.random() < 0.5:
        args["reminder"] = {"method": rng.choice(["email", "popup"]), "minutes": 10}
    return args


def _sql_args(rng: random.Random) -> dict[str, Json]:
    args: dict[str, Json] = {
        "query": "select id, total from orders where created_at > $1 limit 50",
        "database": rng.choice(["analytics", "orders", "users"]),
    }
    if rng.random() < 0.6:
        args["options"] = {
            "read_only": True,
            "timeout_ms": rng.choice([1000, 5000, 30000]),
            "params": [rng.choice(["2025-10-01", 17, True])],
        }
    return args


def _flight_args(rng: random.Random) -> dict[str, Json]:
    passengers: list[dict[str, Json]] = []
    for _ in range(rng.randint(1, 3)):
        document: dict[str, Json]
        if rng.random() < 0.5:
            document = {"passport_number": "X1234567", "country": "FR"}
        else:
            document = {"national_id": "ID-99812"}
        passengers.append(
            {
                "first_name": rng.choice(["Ana", "Bo", "Chen"]),
                "last_name": rng.choice(["Silva", "Ng", "Okafor"]),
                "birth_date": "1990-04-12",
                "document": document,
            }
        )
    return {
        "origin": rng.choice(["CDG", "JFK", "NRT"]),
        "destination": rng.choice(["LOS", "GRU", "SYD"]),
        "date": "2025-12-03",
        "cabin": rng.choice(["economy", "premium_economy", "business"]),
        "passengers": passengers,
    }


def _patch_args(rng: random.Random) -> dict[str, Json]:
    start = rng.randint(1, 120)
    return {
        "path": rng.choice(["src/app.py", "metrics/stats.py", "web/index.ts"]),
        "hunks": [
            {
                "start_line": start,
                "end_line": start + rng.randint(0, 6),
                "replacement": "    return total / max(count, 1)\n",
            }
            for _ in range(rng.randint(1, 2))
        ],
        "create_if_missing": False,
    }


def _no_args(rng: random.Random) -> dict[str, Json]:
    return {}


def _object(properties: dict[str, Json], required: Sequence[str]) -> dict[str, Json]:
    return {"type": "object", "properties": properties, "required": list(required)}


TOOLS: tuple[DemoTool, ...] = (
    DemoTool(
        "get_weather",
        "Current weather for a city.",
        _object(
            {"city": {"type": "string"}, "unit": {"type": "string"}},
            ["city"],
        ),
        Bucket.SIMPLE,
        _weather_args,
        "What's the weather like in Paris right now?",
    ),
    DemoTool(
        "get_time",
        "Current local time in an IANA time zone.",
        _object({"timezone": {"type": "string"}}, ["timezone"]),
        Bucket.SIMPLE,
        _time_args,
        "What time is it in Tokyo?",
    ),
    # No parameters at all: its calls are `unchecked` (METHODOLOGY.md §1),
    # which the dashboard must show apart from `valid`.
    DemoTool(
        "list_open_tabs",
        "List the editor tabs currently open.",
        None,
        Bucket.SIMPLE,
        _no_args,
        "Which files do I have open?",
    ),
    DemoTool(
        "web_search",
        "Search the web.",
        _object(
            {
                "query": {"type": "string"},
                "max_results": {"type": "integer", "minimum": 1, "maximum": 10},
                "recency": {"type": "string", "enum": ["day", "week", "month", "any"]},
            },
            ["query"],
        ),
        Bucket.MEDIUM,
        _search_args,
        "Find recent discussions of the vLLM tool-call parser.",
    ),
    DemoTool(
        "send_email",
        "Send an email from the user's account.",
        _object(
            {
                "to": {"type": "string"},
                "subject": {"type": "string"},
                "body": {"type": "string"},
                "cc": {"type": "array", "items": {"type": "string"}},
            },
            ["to", "subject", "body"],
        ),
        Bucket.MEDIUM,
        _email_args,
        "Email Ana that the deploy went fine.",
    ),
    DemoTool(
        "read_file",
        "Read a file of the workspace, optionally a line range.",
        _object(
            {
                "path": {"type": "string"},
                "start_line": {"type": "integer", "minimum": 1},
                "end_line": {"type": "integer", "minimum": 1},
            },
            ["path"],
        ),
        Bucket.MEDIUM,
        _read_file_args,
        "Show me the top of src/app.py.",
    ),
    DemoTool(
        "create_calendar_event",
        "Create a calendar event and invite people.",
        _object(
            {
                "title": {"type": "string"},
                "start": {"type": "string"},
                "end": {"type": "string"},
                "attendees": {
                    "type": "array",
                    "items": _object(
                        {
                            "email": {"type": "string"},
                            "name": {"type": "string"},
                            "optional": {"type": "boolean"},
                            "response": {
                                "type": "string",
                                "enum": ["needs_action", "accepted", "tentative", "declined"],
                            },
                        },
                        ["email"],
                    ),
                },
                "reminder": _object(
                    {
                        "method": {"type": "string", "enum": ["email", "popup"]},
                        "minutes": {"type": "integer", "minimum": 0},
                    },
                    ["method", "minutes"],
                ),
            },
            ["title", "start", "end", "attendees"],
        ),
        Bucket.COMPLEX,
        _calendar_args,
        "Set up a 30 minute design sync with Ana and Chen next week.",
    ),
    DemoTool(
        "run_sql",
        "Run a read-only SQL query.",
        _object(
            {
                "query": {"type": "string"},
                "database": {"type": "string", "enum": ["analytics", "orders", "users"]},
                "options": _object(
                    {
                        "read_only": {"type": "boolean"},
                        "timeout_ms": {"type": "integer", "minimum": 100},
                        "params": {
                            "type": "array",
                            "items": {
                                "anyOf": [
                                    {"type": "string"},
                                    {"type": "number"},
                                    {"type": "boolean"},
                                ]
                            },
                        },
                    },
                    ["read_only"],
                ),
            },
            ["query", "database"],
        ),
        Bucket.COMPLEX,
        _sql_args,
        "How many orders did we get since October?",
    ),
    DemoTool(
        "book_flight",
        "Book a flight for one or more passengers.",
        _object(
            {
                "origin": {"type": "string"},
                "destination": {"type": "string"},
                "date": {"type": "string"},
                "cabin": {
                    "type": "string",
                    "enum": ["economy", "premium_economy", "business", "first"],
                },
                "passengers": {
                    "type": "array",
                    "minItems": 1,
                    "items": _object(
                        {
                            "first_name": {"type": "string"},
                            "last_name": {"type": "string"},
                            "birth_date": {"type": "string"},
                            "document": {
                                "anyOf": [
                                    _object(
                                        {
                                            "passport_number": {"type": "string"},
                                            "country": {"type": "string"},
                                        },
                                        ["passport_number", "country"],
                                    ),
                                    _object({"national_id": {"type": "string"}}, ["national_id"]),
                                ]
                            },
                        },
                        ["first_name", "last_name", "document"],
                    ),
                },
            },
            ["origin", "destination", "date", "passengers"],
        ),
        Bucket.COMPLEX,
        _flight_args,
        "Book Ana and Bo on a flight from CDG to Lagos on December 3rd.",
    ),
    DemoTool(
        "apply_patch",
        "Replace line ranges of a file.",
        _object(
            {
                "path": {"type": "string"},
                "hunks": {
                    "type": "array",
                    "minItems": 1,
                    "items": _object(
                        {
                            "start_line": {"type": "integer", "minimum": 1},
                            "end_line": {"type": "integer", "minimum": 1},
                            "replacement": {"type": "string"},
                        },
                        ["start_line", "end_line", "replacement"],
                    ),
                },
                "create_if_missing": {"type": "boolean"},
            },
            ["path", "hunks"],
        ),
        Bucket.COMPLEX,
        _patch_args,
        "Fix the division by zero in src/app.py.",
    ),
)

TOOLS_BY_NAME = {tool.name: tool for tool in TOOLS}

# Coding agents offer file tools, assistants offer everyday tools: the mix of
# complexity buckets then differs per app, as it does in real traffic (§3).
CODING_TOOLS = ("read_file", "apply_patch", "run_sql", "web_search", "list_open_tabs")
ASSISTANT_TOOLS = (
    "get_weather",
    "get_time",
    "web_search",
    "send_email",
    "create_calendar_event",
    "book_flight",
)

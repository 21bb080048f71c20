"""Probe suites: versioned JSON files of tool-calling cases, validated when loaded (METHODOLOGY §11).

A suite file holds its tools once and cases that reference them by name. Loading checks
the file against ``suite.schema.json`` and then what a schema cannot say: tool references
exist, ``tool_choice`` agrees with the expected decision, and every example call of the
reference behaviour is itself a valid call by §1 (so the suite cannot expect the
impossible).

Pure: no Django.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import jsonschema

from metrics.choices import OK_OUTCOMES, Bucket
from metrics.complexity import bucket_for, complexity_score
from metrics.toolcalls import classify

SCHEMA_FILE = "suite.schema.json"
SUITE_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,47}$")


class SuiteError(ValueError):
    """A suite file that cannot be used, with the reason."""


@dataclass(frozen=True)
class ProbeCase:
    id: str
    title: str
    tools: tuple[dict, ...]  # OpenAI format: {"type": "function", "function": {...}}
    tool_choice: object
    messages: tuple[dict, ...]
    expect_call: bool
    expected_calls: tuple[dict, ...]  # [{"name", "arguments"}]
    bucket: str  # bucket of the most complex offered tool (METHODOLOGY §3)

    @property
    def kind(self) -> str:
        """What the case tests, for the documentation table."""
        if isinstance(self.tool_choice, dict):
            return "tool_choice named"
        if self.tool_choice in ("none", "required"):
            return f"tool_choice {self.tool_choice}"
        if any(m.get("role") == "tool" for m in self.messages):
            return "multi-turn"
        if len(self.expected_calls) > 1:
            return "parallel"
        return "single call" if self.expect_call else "no call"

    def request(self, model: str, sampling: dict) -> dict:
        """The OpenAI chat-completions body sent for this case."""
        return {
            "model": model,
            "messages": list(self.messages),
            "tools": list(self.tools),
            "tool_choice": self.tool_choice,
            **sampling,
        }


@dataclass(frozen=True)
class ProbeSuite:
    name: str
    version: str
    description: str
    sampling: dict
    cases: tuple[ProbeCase, ...]

    def first(self, limit: int | None) -> tuple[ProbeCase, ...]:
        """The first ``limit`` cases in the suite's order (all when None)."""
        return self.cases if limit is None else self.cases[:limit]


def suite_path(directory: Path, name: str) -> Path:
    if not isinstance(name, str) or not SUITE_NAME.match(name):
        raise SuiteError(f"suite name {name!r} is not a slug [a-z0-9-].")
    path = Path(directory) / f"{name}.json"
    if not path.is_file():
        known = ", ".join(available_suites(directory)) or "none"
        raise SuiteError(f"no probe suite {name!r} (available: {known}).")
    return path


def available_suites(directory: Path) -> list[str]:
    return sorted(p.stem for p in Path(directory).glob("*.json")
                  if p.name != SCHEMA_FILE and SUITE_NAME.match(p.stem))


def load_suite(directory: Path, name: str) -> ProbeSuite:
    """The named suite of ``directory``, validated (cached per file modification time)."""
    path = suite_path(directory, name)
    return _load(str(path), path.stat().st_mtime_ns)


@lru_cache(maxsize=16)
def _load(path: str, _mtime: int) -> ProbeSuite:
    file = Path(path)
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
        schema = json.loads((file.parent / SCHEMA_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise SuiteError(f"{file.name}: cannot read: {exc}") from exc
    error = jsonschema.exceptions.best_match(
        jsonschema.Draft202012Validator(schema).iter_errors(data))
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "(root)"
        raise SuiteError(f"{file.name}: {where}: {error.message}")
    if data["name"] != file.stem:
        raise SuiteError(f"{file.name}: name {data['name']!r} differs from the file name.")
    return parse_suite(data)


def parse_suite(data: dict) -> ProbeSuite:
    """A schema-valid suite document to a ProbeSuite, with the checks a schema cannot make."""
    tools = {
        name: {"type": "function", "function": {"name": name, **spec}}
        for name, spec in data["tools"].items()
    }
    buckets = {name: str(bucket_for(complexity_score(spec["parameters"])))
               for name, spec in data["tools"].items()}
    order = list(Bucket)
    cases, seen = [], set()
    for raw in data["cases"]:
        cid = raw["id"]
        if cid in seen:
            raise SuiteError(f"case {cid}: id repeats an earlier case.")
        seen.add(cid)
        unknown = [t for t in raw["tools"] if t not in tools]
        if unknown:
            raise SuiteError(f"case {cid}: unknown tool(s) {', '.join(unknown)}.")
        _check_expectation(cid, raw)
        offered = [tools[t] for t in raw["tools"]]
        expected = raw["expect"]["calls"]
        _check_examples(cid, offered, raw["tool_choice"], expected)
        cases.append(ProbeCase(
            id=cid, title=raw["title"], tools=tuple(offered), tool_choice=raw["tool_choice"],
            messages=tuple(raw["messages"]), expect_call=raw["expect"]["call"],
            expected_calls=tuple(expected),
            bucket=max((buckets[t] for t in raw["tools"]), key=order.index),
        ))
    return ProbeSuite(name=data["name"], version=data["version"],
                      description=data["description"], sampling=dict(data["sampling"]),
                      cases=tuple(cases))


def _check_expectation(cid: str, raw: dict) -> None:
    choice, expect = raw["tool_choice"], raw["expect"]
    if expect["call"] != bool(expect["calls"]):
        raise SuiteError(f"case {cid}: expect.call must be true exactly when calls are listed.")
    if choice == "none" and expect["call"]:
        raise SuiteError(f"case {cid}: tool_choice none cannot expect a call.")
    if choice == "required" and not expect["call"]:
        raise SuiteError(f"case {cid}: tool_choice required must expect a call.")
    if isinstance(choice, dict):
        name = choice["function"]["name"]
        if name not in raw["tools"]:
            raise SuiteError(f"case {cid}: tool_choice names {name}, which is not offered.")
        if not expect["call"] or any(c["name"] != name for c in expect["calls"]):
            raise SuiteError(f"case {cid}: tool_choice names {name}: expect calls of it only.")


def _check_examples(cid: str, offered: list, tool_choice: object, calls: list) -> None:
    """Every example call must be a valid call by METHODOLOGY §1."""
    if not calls:
        return
    response = {"choices": [{"finish_reason": "tool_calls", "message": {
        "role": "assistant", "content": None,
        "tool_calls": [{"id": f"call_{i}", "type": "function", "function": {
            "name": c["name"], "arguments": json.dumps(c["arguments"])}}
            for i, c in enumerate(calls)]}}]}
    for call in classify(offered, tool_choice, response).calls:
        if call.outcome not in OK_OUTCOMES:
            raise SuiteError(f"case {cid}: example call of {call.tool_name!r} is "
                             f"{call.outcome}: {call.message}")

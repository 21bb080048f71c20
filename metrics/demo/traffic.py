"""Deterministic demo traffic: tool-call and ignore events in the exact shape
of POST /api/v1/tool-calls/ and POST /api/v1/ignores/ (docs API.md), drawn
from the behaviours of metrics.demo.catalog.

Every (endpoint, day) has its own random.Random seeded from a string, so an
event's id always names the same content and re-seeding is idempotent: the
API's id de-duplication turns a second run into duplicates only.
"""

from __future__ import annotations

import copy
import json
import random
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, date, datetime, time, timedelta

from metrics.choices import Bucket, Outcome
from metrics.demo.catalog import Behaviour, DemoEndpoint, DemoModel
from metrics.demo.tools import ASSISTANT_TOOLS, CODING_TOOLS, TOOLS, TOOLS_BY_NAME, DemoTool, Json

# (slug, traffic weight, tool set): acme-agent is the one large customer that
# §4 downsamples in real traffic; None is a request without an app.
_APPS: tuple[tuple[str | None, float, tuple[str, ...]], ...] = (
    ("acme-agent", 0.34, ASSISTANT_TOOLS + CODING_TOOLS),
    ("cline", 0.16, CODING_TOOLS),
    ("roo-code", 0.12, CODING_TOOLS),
    ("kilo-code", 0.10, CODING_TOOLS),
    ("openhands", 0.08, CODING_TOOLS),
    ("sillytavern", 0.07, ASSISTANT_TOOLS),
    ("librechat", 0.06, ASSISTANT_TOOLS),
    ("n8n", 0.04, ASSISTANT_TOOLS),
    (None, 0.03, ASSISTANT_TOOLS),
)

USERS_PER_MODEL = 200
# Each model's users are a window of one shared pool, shifted by this much per
# model, so neighbouring models share half their users (a user of several
# models, as "ignore for all models" assumes).
_USER_SHIFT = 100

# tool_choice: absent and "auto" leave the model free (propensity-eligible,
# §2); the others constrain it.
_TOOL_CHOICES: tuple[tuple[str, float], ...] = (
    ("absent", 0.38),
    ("auto", 0.42),
    ("required", 0.12),
    ("none", 0.04),
    ("named", 0.04),
)


# --- Users ------------------------------------------------------------------


def user_ids(model_index: int) -> list[str]:
    """The demo user ids of the model at this index of the catalog."""
    start = model_index * _USER_SHIFT
    return [f"demo-user-{n:04d}" for n in range(start, start + USERS_PER_MODEL)]


def _users_by_app(model_index: int) -> dict[str | None, tuple[list[str], list[float]]]:
    """Each user has one home app; within an app, activity is Zipf-skewed so a
    few power users send most requests, as real traffic does."""
    users = user_ids(model_index)
    # Fixed seed: the user-to-app mapping belongs to the catalog, not to a run.
    rng = random.Random(f"demo-users:{model_index}")
    slugs = [app for app, _, _ in _APPS]
    weights = [weight for _, weight, _ in _APPS]
    # The first users seed one app each so that no app is left without users.
    members: dict[str | None, list[str]] = {
        app: [user] for app, user in zip(slugs, users, strict=False)
    }
    for user in users[len(slugs) :]:
        members[rng.choices(slugs, weights)[0]].append(user)
    return {
        app: (names, [1.0 / (rank + 1) for rank in range(len(names))])
        for app, names in members.items()
    }


# --- Broken arguments -------------------------------------------------------


def _wrong_type_value(schema: dict[str, Json]) -> Json:
    kind = schema.get("type")
    if kind == "string":
        return 42
    if kind in ("integer", "number"):
        return "5"
    if kind == "boolean":
        return "yes"
    if kind == "array":
        return "a, b"
    return ["unexpected"]  # objects and anything else


def _schema_breakers(
    value: Json, schema: dict[str, Json]
) -> list[Callable[[], None]]:
    """Every single edit that makes `value` invalid against `schema`, as a
    closure that applies it in place. Walks nested objects and arrays so that
    complex tools break deep inside, as real quantized models do."""
    breakers: list[Callable[[], None]] = []
    if not isinstance(value, dict) or schema.get("type") != "object":
        return breakers
    properties = schema.get("properties", {})
    for key in schema.get("required", []):
        if key in value:
            breakers.append(lambda key=key: value.pop(key))
    for key, sub in properties.items():
        if key not in value:
            continue
        if "type" in sub:
            breakers.append(lambda key=key, sub=sub: value.__setitem__(key, _wrong_type_value(sub)))
        if "enum" in sub:
            breakers.append(
                lambda key=key, sub=sub: value.__setitem__(key, str(sub["enum"][0]).upper() + "_X")
            )
        if sub.get("type") == "object":
            breakers.extend(_schema_breakers(value[key], sub))
        if sub.get("type") == "array" and isinstance(sub.get("items"), dict):
            for item in value[key]:
                breakers.extend(_schema_breakers(item, sub["items"]))
    return breakers


def _break_schema(
    rng: random.Random, tool: DemoTool, arguments: dict[str, Json]
) -> dict[str, Json]:
    broken = copy.deepcopy(arguments)
    breakers = _schema_breakers(broken, tool.parameters or {})
    rng.choice(breakers)()
    return broken


def _broken_json(rng: random.Random, arguments: dict[str, Json]) -> Json:
    """Arguments that are not a JSON string: what broken tool parsers emit."""
    text = json.dumps(arguments)
    kind = rng.random()
    if kind < 0.55:  # cut off mid-stream; no proper prefix of an object parses
        return text[: rng.randint(1, len(text) - 1)]
    if kind < 0.75:
        return ""
    if kind < 0.9:  # Python repr leaking out of the serving stack
        return repr(arguments) if arguments else "{'"
    return arguments  # an object instead of a string


def _unknown_name(rng: random.Random, name: str, offered: Sequence[str]) -> str:
    kind = rng.random()
    if kind < 0.6:  # the classic template bug
        return f"functions.{name}"
    if kind < 0.75:
        return name.title().replace("_", "")
    hallucinated = [tool.name for tool in TOOLS if tool.name not in offered]
    return rng.choice(hallucinated) if hallucinated else f"{name}_v2"


# --- Tool-call events -------------------------------------------------------


def _days(end: date, days: int) -> list[date]:
    return [end - timedelta(days=offset) for offset in range(days - 1, -1, -1)]


def _burn_in_factor(behaviour: Behaviour, day_index: int, days: int) -> float:
    """Failure multiplier: `behaviour.burn_in` on the first day, falling
    linearly to 1 two thirds into the window (the §6 burn-in story)."""
    settle = max(1.0, days * 2 / 3)
    remaining = max(0.0, 1.0 - day_index / settle)
    return 1.0 + (behaviour.burn_in - 1.0) * remaining


def _rfc3339(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _pick_outcome(
    rng: random.Random, behaviour: Behaviour, bucket: Bucket, factor: float
) -> Outcome:
    """The outcome this call is drawn to have; VALID is a well-formed call (it may still be
    UNCHECKED once classified, for a tool without parameters)."""
    invalid = behaviour.invalid_json_rate * factor
    unknown = behaviour.unknown_tool_rate * factor
    mismatch = behaviour.schema_mismatch_rate * factor
    if bucket == Bucket.COMPLEX:
        invalid += behaviour.complex_failure_rate / 4
        mismatch += behaviour.complex_failure_rate * 3 / 4
    draw = rng.random()
    if draw < invalid:
        return Outcome.INVALID_JSON
    if draw < invalid + unknown:
        return Outcome.UNKNOWN_TOOL
    if draw < invalid + unknown + mismatch:
        return Outcome.SCHEMA_MISMATCH
    return Outcome.VALID


def _tool_call(
    rng: random.Random,
    tool: DemoTool,
    offered: Sequence[str],
    outcome: Outcome,
    call_id: str,
) -> dict[str, Json]:
    arguments = tool.make_arguments(rng)
    name = tool.name
    encoded: Json
    if outcome == Outcome.INVALID_JSON:
        encoded = _broken_json(rng, arguments)
    elif outcome == Outcome.UNKNOWN_TOOL:
        name = _unknown_name(rng, name, offered)
        encoded = json.dumps(arguments)
    elif outcome == Outcome.SCHEMA_MISMATCH and tool.parameters is not None:
        encoded = json.dumps(_break_schema(rng, tool, arguments))
    else:
        encoded = json.dumps(arguments)
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": encoded}}


def _one_request(
    rng: random.Random,
    endpoint: DemoEndpoint,
    factor: float,
    app_tools: tuple[str, ...],
) -> tuple[dict[str, Json], dict[str, Json]]:
    behaviour = endpoint.behaviour
    offered = rng.sample(app_tools, rng.randint(1, min(4, len(app_tools))))
    tools = [TOOLS_BY_NAME[name] for name in offered]
    choice = rng.choices([c for c, _ in _TOOL_CHOICES], [w for _, w in _TOOL_CHOICES])[0]

    request: dict[str, Json] = {
        "messages": [{"role": "user", "content": tools[0].prompt}],
        "tools": [tool.as_request_tool() for tool in tools],
    }
    candidates = tools
    if choice == "named":
        candidates = [tools[0]]
        request["tool_choice"] = {"type": "function", "function": {"name": tools[0].name}}
    elif choice != "absent":
        request["tool_choice"] = choice

    if choice in ("absent", "auto"):
        complex_offered = any(tool.bucket == Bucket.COMPLEX for tool in tools)
        propensity = behaviour.propensity
        if complex_offered and behaviour.complex_propensity is not None:
            propensity = behaviour.complex_propensity
        calls_tool = rng.random() < propensity
    else:
        calls_tool = choice != "none"

    if not calls_tool:
        message = {"role": "assistant", "content": "Here is what I found without tools."}
        return request, {"choices": [{"index": 0, "finish_reason": "stop", "message": message}]}

    count = 1
    if choice != "named" and rng.random() < behaviour.parallel_call_rate:
        count = rng.choice([2, 2, 3])
    calls = []
    for n in range(count):
        tool = rng.choice(candidates)
        outcome = _pick_outcome(rng, behaviour, tool.bucket, factor)
        call_id = f"call_{rng.getrandbits(48):012x}_{n}"
        calls.append(_tool_call(rng, tool, offered, outcome, call_id))
    message = {"role": "assistant", "content": None, "tool_calls": calls}
    return request, {"choices": [{"index": 0, "finish_reason": "tool_calls", "message": message}]}


def _short(model: DemoModel) -> str:
    return model.slug.replace("/", "-")


def _endpoint_day(
    model: DemoModel,
    endpoint: DemoEndpoint,
    day: date,
    day_index: int,
    days: int,
    requests_per_day: int,
    seed: int,
    users: dict[str | None, tuple[list[str], list[float]]],
) -> Iterator[dict[str, Json]]:
    rng = random.Random(f"{seed}:{model.slug}:{endpoint.provider}:{day.isoformat()}")
    # Weekends are quieter; counts are otherwise fixed so that every endpoint
    # reliably clears (or, for low-traffic ones, misses) the §7 data threshold.
    weekday_factor = 0.8 if day.weekday() >= 5 else 1.0
    count = max(1, round(requests_per_day * endpoint.traffic * weekday_factor))
    factor = _burn_in_factor(endpoint.behaviour, day_index, days)
    seconds = sorted(rng.randrange(86_400) for _ in range(count))
    app_slugs = [app for app, _, _ in _APPS]
    app_weights = [weight for _, weight, _ in _APPS]
    app_tools = {app: tools for app, _, tools in _APPS}
    midnight = datetime.combine(day, time(0), tzinfo=UTC)
    for n, second in enumerate(seconds):
        app = rng.choices(app_slugs, app_weights)[0]
        names, weights = users[app]
        user = rng.choices(names, weights)[0]
        request, response = _one_request(rng, endpoint, factor, app_tools[app])
        event: dict[str, Json] = {
            "id": f"demo-{_short(model)}-{endpoint.provider}-{day:%Y%m%d}-{n:04d}",
            "model": model.slug,
            "provider": endpoint.provider,
        }
        if app is not None:
            event["app"] = app
        event["user"] = user
        event["created"] = _rfc3339(midnight + timedelta(seconds=second))
        event["request"] = request
        event["response"] = response
        yield event


def generate_tool_call_events(
    models: Iterable[DemoModel],
    *,
    end: date,
    days: int = 21,
    requests_per_day: int = 40,
    seed: int = 7,
) -> Iterator[dict[str, Json]]:
    """Tool-call events for every endpoint of `models`, for the `days` days
    ending with `end` (inclusive), in the API.md POST /api/v1/tool-calls/
    event shape. Days before a model's release are skipped. About
    `requests_per_day` × the endpoint's traffic factor requests per endpoint
    and day; the same arguments always yield the same events."""
    window = _days(end, days)
    for model_index, model in enumerate(models):
        users = _users_by_app(model_index)
        for endpoint in model.endpoints:
            for day_index, day in enumerate(window):
                if day < model.released:
                    continue
                yield from _endpoint_day(
                    model,
                    endpoint,
                    day,
                    day_index,
                    days,
                    requests_per_day,
                    seed,
                    users,
                )


# --- Ignore events ----------------------------------------------------------


def _heavy_users(model_index: int, limit: int) -> list[str]:
    """The model's most active users, most active first: ignorers are drawn
    from them so they surely sent tool requests in the §5 window."""
    ranked: list[tuple[float, str]] = []
    for names, weights in _users_by_app(model_index).values():
        ranked.extend((weight, name) for name, weight in zip(names, weights, strict=True))
    ranked.sort(key=lambda pair: (-pair[0], pair[1]))
    return [name for _, name in ranked[:limit]]


# Providers some users ignore for every model (model null in API.md).
_GLOBAL_IGNORES: tuple[tuple[str, int], ...] = (("chutes", 3), ("compactifai", 2), ("azure", 1))


def generate_ignore_events(
    models: Iterable[DemoModel],
    *,
    end: date,
    days: int = 21,
    seed: int = 7,
) -> Iterator[dict[str, Json]]:
    """Ignore/unignore events in the API.md POST /api/v1/ignores/ shape.

    Each endpoint is ignored by `behaviour.ignore_share` of its model's users
    (the most active ones, so they overlap the tool-call users); a share of
    them unignore later; a few users ignore a provider for all models."""
    window = _days(end, days)
    start = datetime.combine(window[0], time(0), tzinfo=UTC)
    span = days * 86_400
    models = list(models)
    for model_index, model in enumerate(models):
        candidates = _heavy_users(model_index, 120)
        for endpoint in model.endpoints:
            behaviour = endpoint.behaviour
            rng = random.Random(f"{seed}:ignores:{model.slug}:{endpoint.provider}")
            ignorers = rng.sample(candidates, round(behaviour.ignore_share * USERS_PER_MODEL))
            # A fixed count (not a coin per user) keeps the "currently ignoring"
            # figure, and so the §7 rule 5 verdict, independent of the seed.
            returning = round(behaviour.unignore_share * len(ignorers))
            for n, user in enumerate(ignorers):
                # Ignores land in the first two thirds so unignores fit after.
                at = rng.randrange(span * 2 // 3)
                base = f"demo-ign-{_short(model)}-{endpoint.provider}-{n:03d}"
                yield _ignore(base, user, endpoint.provider, model.slug, "ignore", start, at)
                if n < returning:
                    later = rng.randrange(at + 3600, span)
                    yield _ignore(
                        f"{base}-u", user, endpoint.provider, model.slug, "unignore", start, later
                    )
    rng = random.Random(f"{seed}:ignores:all-models")
    pool = sorted({user for index in range(len(models)) for user in _heavy_users(index, 40)})
    for provider, count in _GLOBAL_IGNORES:
        for n, user in enumerate(rng.sample(pool, min(count, len(pool)))):
            at = rng.randrange(span)
            event_id = f"demo-ign-all-{provider}-{n:03d}"
            yield _ignore(event_id, user, provider, None, "ignore", start, at)


def _ignore(
    event_id: str,
    user: str,
    provider: str,
    model: str | None,
    action: str,
    start: datetime,
    offset_seconds: int,
) -> dict[str, Json]:
    return {
        "id": event_id,
        "user": user,
        "provider": provider,
        "model": model,
        "action": action,
        "created": _rfc3339(start + timedelta(seconds=offset_seconds)),
    }

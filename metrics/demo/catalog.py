"""The demo catalog: the five exacto launch models, who serves them, and how
each demo endpoint behaves.

Plain data only. The provider names and quantizations are realistic (these
providers do serve these models), but every behaviour below is invented and
assigned so that the demo dashboard shows each rule of METHODOLOGY.md §7 at
work; none of it describes how the real provider performs. docs/demo-data.md
lists which endpoint carries which behaviour and what the dashboard should
show for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Behaviour:
    """How a demo endpoint answers tool requests.

    Rates are per tool call and are drawn independently per call, in the
    order of METHODOLOGY.md §1 (invalid JSON, then unknown tool, then schema
    mismatch), so each rate is roughly the share of calls with that outcome.
    """

    name: str
    description: str
    # Probability of answering with at least one tool call when the model is
    # free to choose (tool_choice absent or "auto"), METHODOLOGY.md §2.
    propensity: float
    invalid_json_rate: float
    unknown_tool_rate: float
    schema_mismatch_rate: float
    # Extra failure rate on calls of complex-bucket tools only (§3), split
    # three to one between schema mismatches and invalid JSON; lets one
    # behaviour look fine on simple work and poor on hard work.
    complex_failure_rate: float = 0.0
    # Propensity when the request offers a complex tool; None means the same
    # as `propensity`.
    complex_propensity: float | None = None
    # Share of the model's users who ignore this endpoint's provider (§5).
    ignore_share: float = 0.005
    # Share of those ignorers who later unignore, so "currently ignoring"
    # differs from "ever ignored".
    unignore_share: float = 0.25
    # Failure rates on the first day of the window are multiplied by this and
    # fall linearly to 1x two thirds into the window (§6 "burn-in").
    burn_in: float = 1.0
    # Share of responses with tool calls that hold more than one call.
    parallel_call_rate: float = 0.15


@dataclass(frozen=True)
class DemoProvider:
    slug: str
    name: str
    website: str


@dataclass(frozen=True)
class DemoEndpoint:
    provider: str
    quantization: str
    behaviour: Behaviour
    # Multiplier on the generator's requests_per_day; below ~0.5 the endpoint
    # falls under the "enough data" threshold of §7 rule 2 (unverified tier);
    # endpoints that call tools less need more requests to clear it.
    traffic: float = 1.0


@dataclass(frozen=True)
class DemoModel:
    slug: str
    name: str
    author: str
    released: date
    # The model author's own API, the centre of the acceptable range (§6)
    # and of the propensity range (§7 rule 4); None where the author hosts no
    # API for these open weights, so the median of the endpoints is used.
    reference_provider: str | None
    endpoints: tuple[DemoEndpoint, ...]


HEALTHY = Behaviour(
    name="healthy",
    description="About 0.5% of calls fail, spread over the three failure modes; "
    "calls a tool in ~85% of free-choice requests.",
    propensity=0.85,
    invalid_json_rate=0.002,
    unknown_tool_rate=0.001,
    schema_mismatch_rate=0.002,
)

BROKEN_PARSER = Behaviour(
    name="broken parser",
    description="The tool-call parser of the inference stack is broken: ~8% of "
    "calls carry truncated, empty or non-string arguments (invalid_json) and ~5% "
    "name the tool 'functions.<name>' or a tool that was not offered "
    "(unknown_tool). Users notice and ignore it (~3%).",
    propensity=0.84,
    invalid_json_rate=0.08,
    unknown_tool_rate=0.05,
    schema_mismatch_rate=0.004,
    ignore_share=0.03,
)

QUANTIZED = Behaviour(
    name="quantized",
    description="Aggressive quantization (fp4/int4) degrades argument quality: "
    "~5-6% schema mismatches (wrong types, missing required fields, enum values "
    "off, also deep inside nested objects); JSON and tool names stay fine.",
    propensity=0.83,
    invalid_json_rate=0.003,
    unknown_tool_rate=0.001,
    # Calls of the parameterless tool cannot mismatch (they are unchecked),
    # so the drawn rate sits a little above the intended measured ~5.5%.
    schema_mismatch_rate=0.065,
)

LOW_PROPENSITY = Behaviour(
    name="low propensity",
    description="Accurate calls, but answers in text instead of calling a tool in "
    "~40% of free-choice requests (propensity ~0.6).",
    propensity=0.60,
    invalid_json_rate=0.002,
    unknown_tool_rate=0.001,
    schema_mismatch_rate=0.002,
)

COMPLEX_RELUCTANT = Behaviour(
    name="reluctant on complex schemas",
    description="Healthy on simple and medium tools; on complex tools (nested "
    "objects, anyOf) ~15% of calls fail, mostly schema mismatches, and it calls "
    "tools less often (~0.7) when a complex tool is offered.",
    propensity=0.85,
    invalid_json_rate=0.002,
    unknown_tool_rate=0.001,
    schema_mismatch_rate=0.002,
    complex_failure_rate=0.15,
    complex_propensity=0.70,
)

OFTEN_IGNORED = Behaviour(
    name="often ignored",
    description="Healthy tool-call numbers, but ~15% of the model's users ignore "
    "the provider (latency, price, past incidents), a fifth of them unignoring "
    "later.",
    propensity=0.85,
    invalid_json_rate=0.002,
    unknown_tool_rate=0.001,
    schema_mismatch_rate=0.002,
    ignore_share=0.15,
    unignore_share=0.2,
)

BURNING_IN = Behaviour(
    name="burning in",
    description="Starts the window at ~8% failures and improves day by day to "
    "healthy figures two thirds of the way in, as the provider tunes its stack; "
    "most users who ignored it early come back.",
    propensity=0.85,
    invalid_json_rate=0.002,
    unknown_tool_rate=0.001,
    schema_mismatch_rate=0.002,
    burn_in=16.0,
    # 8 ignorers of whom 7 come back: one left, as many as a healthy endpoint.
    ignore_share=0.04,
    unignore_share=0.85,
)

BEHAVIOURS: tuple[Behaviour, ...] = (
    HEALTHY,
    BROKEN_PARSER,
    QUANTIZED,
    LOW_PROPENSITY,
    COMPLEX_RELUCTANT,
    OFTEN_IGNORED,
    BURNING_IN,
)


PROVIDERS: tuple[DemoProvider, ...] = (
    DemoProvider("moonshotai", "Moonshot AI", "https://platform.moonshot.ai"),
    DemoProvider("deepseek", "DeepSeek", "https://platform.deepseek.com"),
    DemoProvider("z-ai", "Z.AI", "https://z.ai"),
    DemoProvider("groq", "Groq", "https://groq.com"),
    DemoProvider("fireworks", "Fireworks", "https://fireworks.ai"),
    DemoProvider("together", "Together", "https://www.together.ai"),
    DemoProvider("deepinfra", "DeepInfra", "https://deepinfra.com"),
    DemoProvider("novita", "NovitaAI", "https://novita.ai"),
    DemoProvider("baseten", "Baseten", "https://www.baseten.co"),
    DemoProvider("chutes", "Chutes", "https://chutes.ai"),
    DemoProvider("parasail", "Parasail", "https://www.parasail.io"),
    DemoProvider("atlascloud", "AtlasCloud", "https://www.atlascloud.ai"),
    DemoProvider("siliconflow", "SiliconFlow", "https://siliconflow.com"),
    DemoProvider("cerebras", "Cerebras", "https://www.cerebras.ai"),
    DemoProvider("nebius", "Nebius AI Studio", "https://nebius.com"),
    DemoProvider("gmicloud", "GMICloud", "https://www.gmicloud.ai"),
    DemoProvider("google-vertex", "Google Vertex", "https://cloud.google.com/vertex-ai"),
    DemoProvider("amazon-bedrock", "Amazon Bedrock", "https://aws.amazon.com/bedrock"),
    DemoProvider("azure", "Azure", "https://azure.microsoft.com"),
    DemoProvider("compactifai", "CompactifAI", "https://multiversecomputing.com"),
)


def _ep(
    provider: str, quantization: str, behaviour: Behaviour, traffic: float = 1.0
) -> DemoEndpoint:
    return DemoEndpoint(provider, quantization, behaviour, traffic)


# gpt-oss ships natively in MXFP4, so "fp4" there is the normal weights, and
# only CompactifAI's further compression is a quantization in the §1 sense.
MODELS: tuple[DemoModel, ...] = (
    DemoModel(
        slug="moonshotai/kimi-k2-0905",
        name="Kimi K2 0905",
        author="moonshotai",
        released=date(2025, 9, 5),
        reference_provider="moonshotai",
        endpoints=(
            _ep("moonshotai", "fp8", HEALTHY, 1.1),
            _ep("groq", "fp8", LOW_PROPENSITY, 1.3),
            _ep("fireworks", "fp8", HEALTHY, 1.1),
            _ep("deepinfra", "fp4", HEALTHY),
            _ep("novita", "fp8", HEALTHY),
            _ep("siliconflow", "fp8", HEALTHY),
            _ep("together", "fp8", COMPLEX_RELUCTANT, 1.2),
            _ep("atlascloud", "fp8", BROKEN_PARSER),
            _ep("chutes", "int4", QUANTIZED),
            _ep("baseten", "fp8", OFTEN_IGNORED),
            _ep("parasail", "fp8", HEALTHY, 0.3),
        ),
    ),
    DemoModel(
        slug="deepseek/deepseek-v3.1-terminus",
        name="DeepSeek V3.1 Terminus",
        author="deepseek",
        released=date(2025, 9, 22),
        reference_provider="deepseek",
        endpoints=(
            _ep("deepseek", "fp8", HEALTHY, 1.1),
            _ep("deepinfra", "fp4", HEALTHY, 1.1),
            _ep("fireworks", "fp8", HEALTHY),
            _ep("together", "fp8", HEALTHY),
            _ep("novita", "fp8", LOW_PROPENSITY, 1.3),
            _ep("siliconflow", "fp8", OFTEN_IGNORED),
            _ep("chutes", "fp8", BROKEN_PARSER),
            _ep("gmicloud", "int4", QUANTIZED),
            _ep("atlascloud", "fp8", COMPLEX_RELUCTANT, 1.2),
        ),
    ),
    DemoModel(
        slug="z-ai/glm-4.6",
        name="GLM 4.6",
        author="z-ai",
        released=date(2025, 9, 30),
        reference_provider="z-ai",
        endpoints=(
            _ep("z-ai", "fp8", HEALTHY, 1.1),
            _ep("novita", "fp8", HEALTHY),
            _ep("deepinfra", "fp8", HEALTHY),
            _ep("parasail", "fp8", HEALTHY),
            _ep("atlascloud", "fp8", HEALTHY),
            _ep("chutes", "fp8", BROKEN_PARSER),
            _ep("siliconflow", "fp8", OFTEN_IGNORED),
            _ep("baseten", "fp8", LOW_PROPENSITY, 1.3),
            _ep("gmicloud", "fp8", COMPLEX_RELUCTANT, 1.2),
            _ep("together", "fp4", QUANTIZED),
        ),
    ),
    DemoModel(
        slug="openai/gpt-oss-120b",
        name="GPT-OSS 120B",
        author="openai",
        released=date(2025, 8, 5),
        reference_provider=None,
        endpoints=(
            _ep("cerebras", "fp4", HEALTHY, 1.1),
            _ep("nebius", "fp4", HEALTHY),
            _ep("fireworks", "fp4", HEALTHY),
            _ep("deepinfra", "fp4", HEALTHY),
            _ep("together", "fp4", HEALTHY),
            _ep("groq", "fp4", BURNING_IN, 1.3),
            _ep("novita", "fp4", LOW_PROPENSITY, 1.3),
            _ep("parasail", "fp4", COMPLEX_RELUCTANT, 1.2),
            _ep("amazon-bedrock", "fp4", OFTEN_IGNORED),
            _ep("azure", "fp4", BROKEN_PARSER),
            _ep("compactifai", "int4", QUANTIZED),
        ),
    ),
    DemoModel(
        slug="qwen/qwen3-coder",
        name="Qwen3 Coder 480B A35B",
        author="qwen",
        released=date(2025, 7, 22),
        reference_provider=None,
        endpoints=(
            _ep("together", "fp8", HEALTHY, 1.1),
            _ep("fireworks", "fp8", HEALTHY),
            _ep("nebius", "fp8", HEALTHY),
            _ep("baseten", "fp8", HEALTHY),
            _ep("google-vertex", "bf16", HEALTHY),
            _ep("cerebras", "fp8", LOW_PROPENSITY, 1.3),
            _ep("deepinfra", "fp4", QUANTIZED),
            _ep("chutes", "fp8", BROKEN_PARSER),
            _ep("amazon-bedrock", "bf16", OFTEN_IGNORED),
        ),
    ),
)


def provider(slug: str) -> DemoProvider:
    """The catalog provider with this slug (KeyError if none)."""
    for candidate in PROVIDERS:
        if candidate.slug == slug:
            return candidate
    raise KeyError(slug)

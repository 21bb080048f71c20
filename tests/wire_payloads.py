"""Request/response pairs of every wire format, built with the real SDKs' own types.

Each builder returns `(request, response)` as a client holds them after one call: the
`openai` and `anthropic` packages' pydantic objects, dumped to JSON data exactly as a
gateway would forward them (no network: the objects are constructed). Cases are the
outcomes of METHODOLOGY §1 plus a call of a non-function tool (`other`).
"""

from __future__ import annotations

from anthropic import types as an
from openai.types import chat as oc
from openai.types import responses as orr
from openai.types.chat import chat_completion as occ
from openai.types.chat import chat_completion_chunk as chunk_types
from openai.types.chat import chat_completion_message_custom_tool_call as custom_call
from openai.types.chat import chat_completion_message_function_tool_call as function_call
from openai.types.completion_usage import CompletionUsage

WEATHER_SCHEMA = {
    "type": "object",
    "properties": {"city": {"type": "string"}},
    "required": ["city"],
}
CASES = ("valid", "invalid_json", "unknown_tool", "schema_mismatch", "other")
# (tool name, arguments text) per judged case; `other` calls a non-function tool.
CALLS = {
    "valid": ("get_weather", '{"city": "Paris"}'),
    "invalid_json": ("get_weather", '{"city": "Par'),
    "unknown_tool": ("get_wether", '{"city": "Paris"}'),
    "schema_mismatch": ("get_weather", '{"city": 42}'),
}
OBJECTS = {"valid": {"city": "Paris"}, "unknown_tool": {"city": "Paris"},
           "schema_mismatch": {"city": 42}}
COMPLETION_TOKENS = 17
FORMATS = ("openai.chat", "openai.chat.stream", "openai.responses", "anthropic.messages",
           "anthropic.messages.stream")


def dump(model) -> dict:
    return model.model_dump(mode="json", exclude_unset=True)


def fragments(text: str, size: int = 4) -> list[str]:
    return [text[i:i + size] for i in range(0, len(text), size)] or [""]


# --- OpenAI Chat Completions -------------------------------------------------------


def chat_request() -> dict:
    return {
        "model": "kimi-k2", "messages": [{"role": "user", "content": "Weather in Paris?"}],
        "tools": [
            {"type": "function", "function": {"name": "get_weather", "parameters": WEATHER_SCHEMA}},
            {"type": "custom", "custom": {"name": "run_sql", "description": "SQL, free text"}},
        ],
        "tool_choice": "auto",
    }


def chat_completion(case: str) -> dict:
    if case == "other":
        call = custom_call.ChatCompletionMessageCustomToolCall(
            id="call_1", type="custom", custom=custom_call.Custom(name="run_sql", input="SELECT 1"))
    else:
        name, arguments = CALLS[case]
        call = function_call.ChatCompletionMessageFunctionToolCall(
            id="call_1", type="function",
            function=function_call.Function(name=name, arguments=arguments))
    completion = oc.ChatCompletion(
        id="chatcmpl-1", object="chat.completion", created=1_760_000_000, model="kimi-k2",
        choices=[occ.Choice(index=0, finish_reason="tool_calls", message=oc.ChatCompletionMessage(
            role="assistant", content=None, tool_calls=[call]))],
        usage=CompletionUsage(prompt_tokens=20, completion_tokens=COMPLETION_TOKENS, total_tokens=37),
    )
    return dump(completion)


def _chunk(delta: chunk_types.ChoiceDelta | None, *, usage=None, finish=None) -> oc.ChatCompletionChunk:
    choices = [] if delta is None else [
        chunk_types.Choice(index=0, delta=delta, finish_reason=finish)]
    return oc.ChatCompletionChunk(id="chatcmpl-1", object="chat.completion.chunk",
                                  created=1_760_000_000, model="kimi-k2", choices=choices,
                                  usage=usage)


def chat_chunks(case: str) -> list[dict]:
    """A stream as the server sent it: the name first, then argument fragments, then usage."""
    chunks = [_chunk(chunk_types.ChoiceDelta(role="assistant", content=None))]
    if case == "other":
        # The SDK's delta type models only function calls; servers that stream custom tool
        # calls send this shape, which `construct` keeps as it is.
        chunks.append(oc.ChatCompletionChunk.construct(
            id="chatcmpl-1", object="chat.completion.chunk", created=1_760_000_000, model="kimi-k2",
            choices=[{"index": 0, "delta": {"tool_calls": [
                {"index": 0, "id": "call_1", "type": "custom",
                 "custom": {"name": "run_sql", "input": "SELECT 1"}}]}}]))
    else:
        name, arguments = CALLS[case]
        tool = chunk_types.ChoiceDeltaToolCall
        fn = chunk_types.ChoiceDeltaToolCallFunction
        chunks.append(_chunk(chunk_types.ChoiceDelta(tool_calls=[tool(
            index=0, id="call_1", type="function", function=fn(name=name, arguments=""))])))
        for part in fragments(arguments):
            chunks.append(_chunk(chunk_types.ChoiceDelta(tool_calls=[tool(
                index=0, function=fn(arguments=part))])))
    chunks.append(_chunk(chunk_types.ChoiceDelta(), finish="tool_calls"))
    chunks.append(_chunk(None, usage=CompletionUsage(
        prompt_tokens=20, completion_tokens=COMPLETION_TOKENS, total_tokens=37)))
    return [dump(c) for c in chunks]


# --- OpenAI Responses API ----------------------------------------------------------


def responses_request() -> dict:
    return {
        "model": "kimi-k2", "input": "Weather in Paris?",
        "tools": [
            {"type": "function", "name": "get_weather", "parameters": WEATHER_SCHEMA, "strict": False},
            {"type": "web_search"},
        ],
        "tool_choice": "auto",
    }


def responses_response(case: str) -> dict:
    if case == "other":
        item = orr.ResponseFunctionWebSearch(
            id="ws_1", type="web_search_call", status="completed",
            action={"type": "search", "query": "weather Paris"})
    else:
        name, arguments = CALLS[case]
        item = orr.ResponseFunctionToolCall(type="function_call", call_id="call_1", name=name,
                                            arguments=arguments, id="fc_1", status="completed")
    response = orr.Response(
        id="resp_1", object="response", created_at=1_760_000_000, model="kimi-k2", output=[item],
        parallel_tool_calls=True, tool_choice="auto", tools=[],
        usage=orr.ResponseUsage(input_tokens=20, output_tokens=COMPLETION_TOKENS, total_tokens=37,
                                input_tokens_details={"cached_tokens": 0, "cache_write_tokens": 0},
                                output_tokens_details={"reasoning_tokens": 0}),
    )
    return dump(response)


# --- Anthropic Messages --------------------------------------------------------------


def anthropic_request() -> dict:
    return {
        "model": "kimi-k2", "max_tokens": 512,
        "messages": [{"role": "user", "content": "Weather in Paris?"}],
        "tools": [
            {"name": "get_weather", "description": "Weather for a city.", "input_schema": WEATHER_SCHEMA},
            {"type": "web_search_20250305", "name": "web_search"},
        ],
        "tool_choice": {"type": "auto"},
    }


def _message(content: list, output_tokens: int = COMPLETION_TOKENS) -> an.Message:
    return an.Message(id="msg_1", type="message", role="assistant", model="kimi-k2",
                      content=content, stop_reason="tool_use", stop_sequence=None,
                      usage=an.Usage(input_tokens=20, output_tokens=output_tokens))


def anthropic_message(case: str) -> dict:
    """A whole message; its `input` is an object, so it can never be invalid_json."""
    if case == "invalid_json":
        raise ValueError("a whole Anthropic message carries `input` as an object")
    if case == "other":
        block = an.ServerToolUseBlock(id="srvtoolu_1", type="server_tool_use", name="web_search",
                                      input={"query": "weather Paris"})
    else:
        block = an.ToolUseBlock(id="toolu_1", type="tool_use", name=CALLS[case][0],
                                input=OBJECTS[case])
    return dump(_message([block]))


def anthropic_events(case: str) -> list[dict]:
    events = [an.RawMessageStartEvent(type="message_start", message=_message([], output_tokens=1))]
    if case == "other":
        events.append(an.RawContentBlockStartEvent(
            type="content_block_start", index=0, content_block=an.ServerToolUseBlock(
                id="srvtoolu_1", type="server_tool_use", name="web_search", input={})))
        parts = fragments('{"query": "weather Paris"}')
    else:
        events.append(an.RawContentBlockStartEvent(
            type="content_block_start", index=0, content_block=an.ToolUseBlock(
                id="toolu_1", type="tool_use", name=CALLS[case][0], input={})))
        parts = fragments(CALLS[case][1])
    for part in parts:
        events.append(an.RawContentBlockDeltaEvent(
            type="content_block_delta", index=0,
            delta=an.InputJSONDelta(type="input_json_delta", partial_json=part)))
    events += [
        an.RawContentBlockStopEvent(type="content_block_stop", index=0),
        an.RawMessageDeltaEvent(type="message_delta",
                                delta={"stop_reason": "tool_use", "stop_sequence": None},
                                usage=an.MessageDeltaUsage(output_tokens=COMPLETION_TOKENS)),
        an.RawMessageStopEvent(type="message_stop"),
    ]
    return [dump(e) for e in events]


BUILDERS = {
    "openai.chat": (chat_request, chat_completion),
    "openai.chat.stream": (chat_request, chat_chunks),
    "openai.responses": (responses_request, responses_response),
    "anthropic.messages": (anthropic_request, anthropic_message),
    "anthropic.messages.stream": (anthropic_request, anthropic_events),
}


def cases_of(fmt: str) -> tuple[str, ...]:
    """The cases a format can carry (a whole Anthropic message cannot hold malformed JSON)."""
    return tuple(c for c in CASES if not (fmt == "anthropic.messages" and c == "invalid_json"))


def pair(fmt: str, case: str) -> tuple[dict, object]:
    request, response = BUILDERS[fmt]
    return request(), response(case)

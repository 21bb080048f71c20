"""OpenAI Chat Completions: a whole completion, or its chunk list reassembled as a client would.

Pure: no Django.
"""

from __future__ import annotations

from metrics.wire.types import WireCall, WireError


def _tokens(usage: object, *keys: str) -> int | None:
    if not isinstance(usage, dict):
        return None
    for key in keys:
        value = usage.get(key)
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            return value
    return None


def completion_tokens(usage: object) -> int | None:
    """METHODOLOGY §10: `completion_tokens`, or `output_tokens` (Responses, Anthropic)."""
    return _tokens(usage, "completion_tokens", "output_tokens")


def _call(entry: object) -> WireCall | None:
    """A judged call, or None for a call of a non-function tool (counted as `other`)."""
    if not isinstance(entry, dict):
        return WireCall(name=None, arguments=None, present=False)  # malformed: invalid_json
    kind = entry.get("type", "function")
    if kind != "function" and kind is not None:
        return None
    function = entry.get("function")
    if not isinstance(function, dict):
        return WireCall(name=None, arguments=None, present=False)
    return WireCall(
        name=function.get("name"), arguments=function.get("arguments"),
        present="arguments" in function,
    )


def parse_completion(response: object) -> tuple[list[WireCall], int, int | None]:
    """(calls, other calls, completion tokens) of `choices[*].message.tool_calls`."""
    if not isinstance(response, dict) or not isinstance(response.get("choices"), list):
        raise WireError("an OpenAI chat completion is an object with a `choices` list.")
    calls: list[WireCall] = []
    other = 0
    for position, choice in enumerate(response["choices"]):
        if not isinstance(choice, dict):
            raise WireError(f"choices[{position}] is not an object.")
        message = choice.get("message")
        if message is None:
            if "delta" in choice:  # a stream chunk posted alone: its calls would be lost
                raise WireError("it is a stream chunk; send the stream's whole chunk list.")
            continue
        if not isinstance(message, dict):
            raise WireError(f"choices[{position}].message is not an object.")
        tool_calls = message.get("tool_calls")
        if tool_calls is None:
            continue
        if not isinstance(tool_calls, list):
            raise WireError(f"choices[{position}].message.tool_calls is not a list.")
        for entry in tool_calls:
            call = _call(entry)
            if call is None:
                other += 1
            else:
                calls.append(call)
    return calls, other, completion_tokens(response.get("usage"))


class _Assembly:
    """One streamed tool call: its fragments, concatenated as the openai SDK does."""

    __slots__ = ("kind", "name", "fragments", "odd")

    def __init__(self) -> None:
        self.kind: object = None
        self.name: object = None
        self.fragments: list[str] = []
        self.odd: object = None  # a non-string first `arguments`: the call's arguments are not text

    def add(self, delta: dict) -> None:
        kind = delta.get("type")
        if kind is not None:
            self.kind = kind
        function = delta.get("function")
        if not isinstance(function, dict):
            return
        name = function.get("name")
        if isinstance(name, str):
            self.name = name if not isinstance(self.name, str) else self.name + name
        elif name is not None and self.name is None:
            self.name = name
        fragment = function.get("arguments")
        if isinstance(fragment, str):
            self.fragments.append(fragment)
        elif fragment is not None and not self.fragments and self.odd is None:
            self.odd = fragment

    def call(self) -> WireCall | None:
        if self.kind not in (None, "function"):
            return None
        if self.odd is not None and not self.fragments:
            return WireCall(name=self.name, arguments=self.odd)
        if not self.fragments:
            return WireCall(name=self.name, arguments=None, present=False)
        return WireCall(name=self.name, arguments="".join(self.fragments))


def parse_chunks(chunks: object) -> tuple[list[WireCall], int, int | None]:
    """Reassembles `choices[*].delta.tool_calls` fragments per choice and call `index`."""
    if not isinstance(chunks, list) or not chunks:
        raise WireError("an OpenAI chat stream is a non-empty list of chat.completion.chunk objects.")
    calls: dict[tuple[int, int], _Assembly] = {}
    tokens = None
    for number, chunk in enumerate(chunks):
        if not isinstance(chunk, dict):
            raise WireError(f"chunk {number} is not an object.")
        if chunk.get("usage") is not None:  # usually only the last chunk carries it
            found = completion_tokens(chunk["usage"])
            tokens = found if found is not None else tokens
        for key, entry in _tool_deltas(chunk, number):
            assembly = calls.get(key)
            if assembly is None:
                assembly = calls[key] = _Assembly()
            assembly.add(entry)
    judged: list[WireCall] = []
    other = 0
    for key in sorted(calls):
        call = calls[key].call()
        if call is None:
            other += 1
        else:
            judged.append(call)
    return judged, other, tokens


def _tool_deltas(chunk: dict, number: int):
    """((choice index, call index), delta entry) of every `delta.tool_calls` entry of a chunk."""
    choices = chunk.get("choices")
    if not isinstance(choices, list):  # the final usage chunk has `choices: []`
        raise WireError(f"chunk {number} has no `choices` list.")
    for position, choice in enumerate(choices):
        if not isinstance(choice, dict):
            raise WireError(f"chunk {number}: choices[{position}] is not an object.")
        deltas = _delta_calls(choice, number)
        if deltas is None:
            continue
        choice_index = choice.get("index", position)
        if not isinstance(choice_index, int):
            choice_index = position
        for offset, entry in enumerate(deltas):
            if not isinstance(entry, dict):
                raise WireError(f"chunk {number}: a delta.tool_calls entry is not an object.")
            index = entry.get("index")
            # Some servers omit `index`; its place in the delta list is what a client can use.
            yield (choice_index,
                   index if isinstance(index, int) and not isinstance(index, bool) else offset), entry


def _delta_calls(choice: dict, number: int) -> list | None:
    delta = choice.get("delta")
    if not isinstance(delta, dict):
        return None
    deltas = delta.get("tool_calls")
    if deltas is not None and not isinstance(deltas, list):
        raise WireError(f"chunk {number}: delta.tool_calls is not a list.")
    return deltas

"""Offered tools and `tool_choice` of any supported request format, in one meaning.

Each tool entry is recognised by its own shape, not by the response's format, because
gateways mix them (a LiteLLM proxy logs OpenAI-shaped tools beside an Anthropic reply).
Pure: no Django.
"""

from __future__ import annotations

_NAMED_CHOICE_TYPES = frozenset({"function", "tool", "custom"})


def _is_chat_function(entry: dict) -> bool:
    return entry.get("type", "function") == "function" and isinstance(entry.get("function"), dict)


def normalise_tools(tools: list) -> tuple[list, frozenset, bool]:
    """(function tools in OpenAI chat shape, names of non-function tools, any non-function tool).

    A list already in chat shape is returned as it is (no copy: the common case stays cheap).
    Entries that are not objects, or function tools without a string name, are not offered.
    Non-function tools with a name (Anthropic's computer/bash/text editor tools, custom tools)
    are named so that their calls, which look like function calls, are counted as `other`.
    """
    other = False
    other_names: set = set()
    converted = False
    for entry in tools:
        if not isinstance(entry, dict):
            continue
        if _is_chat_function(entry):
            continue
        converted = True
        break
    if not converted:
        return tools, frozenset(), False
    out: list = []
    for entry in tools:
        if not isinstance(entry, dict):
            continue
        if _is_chat_function(entry):
            out.append(entry)
            continue
        function = _flat_function(entry)
        if function is not None:
            out.append({"type": "function", "function": function})
        elif isinstance(entry.get("type"), str):
            other = True  # custom/freeform or a hosted tool (web search, code interpreter, ...)
            name = entry.get("name")
            if name is None and isinstance(entry.get(entry["type"]), dict):
                name = entry[entry["type"]].get("name")  # chat custom: {"custom": {"name"}}
            if isinstance(name, str):
                other_names.add(name)
    return out, frozenset(other_names), other


def _flat_function(entry: dict) -> dict | None:
    """A Responses API flat function tool, or an Anthropic client tool, as a chat `function`."""
    kind = entry.get("type")
    name = entry.get("name")
    if not isinstance(name, str):
        return None
    if kind == "function":  # Responses: {"type": "function", "name", "parameters"}
        function = {"name": name}
        if "parameters" in entry:
            function["parameters"] = entry["parameters"]
        return function
    # Anthropic client tools: {"name", "input_schema"}, `type` absent or "custom".
    # An OpenAI custom tool has no input_schema (a grammar or free text): not a function.
    if (kind is None or kind == "custom") and "input_schema" in entry:
        return {"name": name, "parameters": entry["input_schema"]}
    return None


def normalise_tool_choice(choice: object) -> object:
    """§2 meaning: None/"auto" (free to choose), "none", "required", or a named tool.

    OpenAI strings pass as they are; Anthropic `{"type": "auto"|"any"|"none"|"tool"}` and
    OpenAI `allowed_tools` modes map to them. Anything else is kept, so it stays ineligible.
    """
    if not isinstance(choice, dict):
        return choice
    kind = choice.get("type")
    if kind == "auto":
        return "auto"
    if kind == "any":
        return "required"
    if kind == "none":
        return "none"
    if kind == "allowed_tools":
        mode = choice.get("mode")
        if mode is None and isinstance(choice.get("allowed_tools"), dict):
            mode = choice["allowed_tools"].get("mode")
        return mode if mode in ("auto", "required") else choice
    if kind in _NAMED_CHOICE_TYPES:
        name = choice.get("name")
        if name is None and isinstance(choice.get(kind), dict):
            name = choice[kind].get("name")
        return {"type": "function", "function": {"name": name}}
    return choice

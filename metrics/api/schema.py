"""The parts of the OpenAPI schema that come from the batch parsers, not from serializers.

The items of the batch endpoints are parsed by metrics/events.py (fast, and with a reason for
each refused item); their JSON Schema is written there, beside the parsers, and added to the
served schema's components by `add_item_components` (a drf-spectacular postprocessing hook).
"""

import re

from django.conf import settings

from metrics.events import BENCHMARK_RUN_SCHEMA, IGNORE_EVENT_SCHEMA, TOOL_CALL_EVENT_SCHEMA

ITEMS = {
    "ToolCallEvent": TOOL_CALL_EVENT_SCHEMA,
    "IgnoreEvent": IGNORE_EVENT_SCHEMA,
    "BenchmarkRun": BENCHMARK_RUN_SCHEMA,
    # Read field by field by metrics/wire/litellm.py; an item that is not an object is refused.
    "LiteLLMPayload": {"type": "object", "description": "A LiteLLM StandardLoggingPayload."},
}


def batch_request(key: str, item: str) -> dict:
    """The request body of a batch endpoint: `{key: [items]}` (API.md "Errors")."""
    return {"application/json": {
        "type": "object",
        "required": [key],
        "properties": {key: {
            "type": "array", "maxItems": settings.EXACTO_MAX_BATCH_ITEMS,
            "items": {"$ref": f"#/components/schemas/{item}"},
            "description": "Each item is stored or refused on its own: a refused item is "
                           "listed in `rejected` by its index, with the reason.",
        }},
    }}


def _body_optional(schema: dict, components: dict) -> bool:
    """No body reads as `{}`: optional only for an object with nothing required."""
    if "$ref" in schema:
        schema = components[schema["$ref"].rsplit("/", 1)[1]]
    return (schema.get("type") == "object" and not schema.get("required")
            and not any(key in schema for key in ("oneOf", "anyOf", "allOf")))


def _blank_branch_folded(node):
    """drf-spectacular gives a string field that may be blank a `oneOf` with a `maxLength: 0`
    branch; when the field's own pattern matches "" too, "" would match both branches and so
    neither. Such a `oneOf` is folded back into its first branch."""
    if isinstance(node, list):
        return [_blank_branch_folded(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: _blank_branch_folded(value) for key, value in node.items()}
    branches = node.get("oneOf")
    if (isinstance(branches, list) and len(branches) == 2
            and branches[1] == {"type": "string", "maxLength": 0}
            and re.search(branches[0].get("pattern", "(?!)"), "")):
        outer = {key: value for key, value in node.items() if key != "oneOf"}
        return {**branches[0], **outer}
    return node


def add_item_components(result, generator, request, public):
    """The batch items' schemas, and which request bodies are required (DRF reads a request
    without one as `{}`)."""
    result = _blank_branch_folded(result)
    components = result.setdefault("components", {}).setdefault("schemas", {})
    components.update(ITEMS)
    for path in result.get("paths", {}).values():
        for operation in path.values():
            body = operation.get("requestBody") if isinstance(operation, dict) else None
            if body is not None:
                body["required"] = not any(_body_optional(media.get("schema", {}), components)
                                           for media in body.get("content", {}).values())
    return result

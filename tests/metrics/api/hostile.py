"""Hostile payloads shared by the trust tests, the schemathesis run and the benchmark."""


def exponential_ref_schema(levels: int = 40) -> dict:
    """A few KB that branch exponentially through local $refs: l0 → anyOf[l1, l1] → … .

    Validating "1" against it visits 2**levels subschemas: only the time budget stops it."""
    defs = {f"l{i}": {"anyOf": [{"$ref": f"#/definitions/l{i + 1}"},
                                {"$ref": f"#/definitions/l{i + 1}"}]}
            for i in range(levels)}
    defs[f"l{levels}"] = {"type": "string"}
    return {"definitions": defs, "$ref": "#/definitions/l0"}


def hostile_tool(name: str = "boom") -> dict:
    return {"type": "function", "function": {"name": name, "description": "exponential $ref",
                                             "parameters": exponential_ref_schema()}}


def many_calls(n: int, name: str = "boom", arguments: str = "1") -> list[dict]:
    return [{"id": f"c{i}", "type": "function", "function": {"name": name, "arguments": arguments}}
            for i in range(n)]


LONE_SURROGATE = "\ud800"
YEAR_ONE = "0001-01-01T00:00:00+01:00"

"""Write docs/openapi.md: the OpenAPI document (docs/openapi.json) as a page of the
documentation site: servers, how callers get tokens, every operation with its parameters,
body, answers and examples, and the shared schemas. Plain Markdown, so the site shows it
without any script from elsewhere.

    python -m scripts.openapi_page          # rewrite the page
    python -m scripts.openapi_page --check  # exit 1 if the committed page is stale
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from scripts import ROOT, check_or_write

DOCUMENT = ROOT / "docs" / "openapi.json"
PAGE = ROOT / "docs" / "openapi.md"
METHODS = ("get", "post", "put", "patch", "delete")


def _cell(text: object) -> str:
    """One table cell: on one line, its pipes escaped (outside code spans)."""
    return " ".join(str(text).split()).replace(" | ", " \\| ")


def _anchor(name: str) -> str:
    return f"schema-{name.lower()}"


def _type(schema: dict[str, Any]) -> str:
    """A schema in a few words: its type and every constraint a client must meet."""
    if "$ref" in schema:
        name = schema["$ref"].rpartition("/")[2]
        return f"[`{name}`](#{_anchor(name)})"
    kind = schema.get("type", "any")
    words = " or ".join(kind) if isinstance(kind, list) else kind
    if kind == "array":
        words = f"array of {_type(schema.get('items', {}))}"
    facts = []
    if "enum" in schema:
        facts.append("one of " + ", ".join(f"`{value}`" for value in schema["enum"]))
    if "pattern" in schema:
        facts.append(f"pattern `{schema['pattern']}`")
    for key, said in (("minimum", "at least {}"), ("maximum", "at most {}"), ("maxLength", "at most {} characters")):
        if key in schema:
            facts.append(said.format(schema[key]))
    if "default" in schema:
        facts.append(f"default {schema['default']}")
    return words + (f" ({'; '.join(facts)})" if facts else "")


def _example(value: object) -> list[str]:
    return ["```json", json.dumps(value, indent=2), "```"]


def _security(operation: dict[str, Any]) -> str:
    callers = []
    for requirement in operation.get("security", []):
        for scheme, scopes in requirement.items():
            callers.append(f"`{scheme}`" + (f" (scope {', '.join(f'`{s}`' for s in scopes)})" if scopes else ""))
    return ", ".join(callers) or "anyone"


def _operation(path: str, method: str, operation: dict[str, Any]) -> list[str]:
    lines = [f"### {method.upper()} {path}", "", f"`{operation['operationId']}`: {operation['summary']}", ""]
    lines += [f"Who may call: {_security(operation)}.", ""]
    parameters = operation.get("parameters", [])
    if parameters:
        lines += ["| parameter | in | required | type | meaning | example |", "|---|---|---|---|---|---|"]
        for p in parameters:
            lines.append(
                f"| `{p['name']}` | {p['in']} | {'yes' if p.get('required') else 'no'} | {_cell(_type(p['schema']))} "
                f"| {_cell(p.get('description', ''))} | `{p.get('example', '')}` |"
            )
        lines.append("")
    body = operation.get("requestBody")
    if body:
        content = body["content"]["application/json"]
        lines += [f"Body ({'required' if body.get('required') else 'optional'}): {_type(content['schema'])}, e.g.", ""]
        lines += [*_example(content["example"]), ""]
    lines += ["| status | meaning | body | headers |", "|---|---|---|---|"]
    for status, answer in operation["responses"].items():
        content = answer.get("content", {}).get("application/json")
        headers = ", ".join(f"`{name}`" for name in answer.get("headers", {})) or "-"
        lines.append(
            f"| {status} | {_cell(answer['description'])} | {_cell(_type(content['schema'])) if content else '-'} "
            f"| {headers} |"
        )
    lines.append("")
    for status, answer in operation["responses"].items():
        content = answer.get("content", {}).get("application/json", {})
        if status.startswith("2") and "example" in content:
            lines += [f"A {status} answer:", "", *_example(content["example"]), ""]
    return lines


def _schema(name: str, schema: dict[str, Any]) -> list[str]:
    lines = [f"### {name} {{#{_anchor(name)}}}", ""]
    if schema.get("additionalProperties") is False:
        lines += ["No other field is accepted.", ""]
    required = set(schema.get("required", []))
    lines += ["| field | required | type | meaning |", "|---|---|---|---|"]
    for field, spec in schema.get("properties", {}).items():
        lines.append(
            f"| `{field}` | {'yes' if field in required else 'no'} | {_cell(_type(spec))} "
            f"| {_cell(spec.get('description', ''))} |"
        )
    return [*lines, ""]


def build(document: dict[str, Any] | None = None) -> str:
    """The page, from the committed OpenAPI document (or the one given)."""
    doc = document if document is not None else json.loads(DOCUMENT.read_text())
    info = doc["info"]
    lines = [
        "# Operations",
        "",
        f"{info['title']}, version {info['version']}, OpenAPI {doc['openapi']}. Generated by `make report`",
        "(`python -m scripts.openapi_page --write`) from [openapi.json](openapi.json), the document client",
        "generators read; a test fails when this page is stale.",
        "",
        info["description"],
        "",
        "## Servers",
        "",
        "| environment | base URL |",
        "|---|---|",
        *(f"| {server['description']} | `{server['url']}` |" for server in doc["servers"]),
        "",
        "## Callers and their tokens",
        "",
    ]
    for name, scheme in doc["components"]["securitySchemes"].items():
        lines += [f"- `{name}` ({scheme['type']}): {scheme['description']}"]
        for flow in scheme.get("flows", {}).values():
            scopes = "; ".join(f"`{scope}`: {said}" for scope, said in flow["scopes"].items())
            lines += [f"  Token URL `{flow['tokenUrl']}`. Scopes: {scopes}"]
    lines += ["", "## Operations", ""]
    for path, item in doc["paths"].items():
        for method in METHODS:
            if method in item:
                lines += _operation(path, method, item[method])
    lines += ["## Schemas", ""]
    for name, schema in doc["components"]["schemas"].items():
        lines += _schema(name, schema)
    return "\n".join(lines).rstrip("\n") + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="fail if docs/openapi.md is stale")
    parser.add_argument("--write", action="store_true", help="rewrite docs/openapi.md (the default)")
    args = parser.parse_args()
    return check_or_write(PAGE, build(), check=args.check)


if __name__ == "__main__":
    sys.exit(main())

"""Just enough GraphQL to answer the real gh: a parser for query documents and an executor that
answers exactly the fields a query selects (gh decodes strictly), no more.

Objects are `Node`s: `typename`, the type names it also answers fragments for (`implements`), and
`field(name, args)`, which returns a scalar, a list, None or another Node, and raises `Missing`
for a field the stand-in does not know (the answer is then a GraphQL error naming it, so a test
against a new gh says at once what it asked for).
"""
from __future__ import annotations

import re
from typing import Any

_TOKEN = re.compile(r"""
    (?P<skip>[\s,]+|\#[^\n]*)
  | (?P<spread>\.\.\.)
  | (?P<punct>[{}()\[\]:!$=@|&])
  | (?P<name>[_A-Za-z][_0-9A-Za-z]*)
  | (?P<number>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)
  | (?P<block>\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\")
  | (?P<string>"(?:[^"\\\n]|\\.)*")
""", re.X)


class GraphQLError(Exception):
    pass


class Missing(GraphQLError):
    def __init__(self, typename: str, field: str) -> None:
        super().__init__(f"Field '{field}' doesn't exist on type '{typename}'")


class Node:
    typename = "Node"
    implements: tuple[str, ...] = ()

    def field(self, name: str, args: dict[str, Any]) -> Any:
        raise Missing(self.typename, name)

    def is_a(self, type_condition: str) -> bool:
        return type_condition == self.typename or type_condition in self.implements


def _tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match:
            raise GraphQLError(f"Syntax error at {text[pos:pos + 20]!r}")
        pos = match.end()
        kind = match.lastgroup or ""
        if kind != "skip":
            out.append((kind, match.group()))
    return out


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _tokens(text)
        self.pos = 0

    def peek(self, value: str | None = None) -> bool:
        if self.pos >= len(self.tokens):
            return False
        return value is None or self.tokens[self.pos][1] == value

    def take(self, value: str | None = None) -> str:
        if self.pos >= len(self.tokens):
            raise GraphQLError("Unexpected end of document")
        kind, text = self.tokens[self.pos]
        if value is not None and text != value:
            raise GraphQLError(f"Expected {value!r}, got {text!r}")
        self.pos += 1
        return text

    def document(self) -> tuple[dict[str, Any], dict[str, Any]]:
        operations: list[dict[str, Any]] = []
        fragments: dict[str, Any] = {}
        while self.peek():
            if self.peek("fragment"):
                self.take()
                name = self.take()
                self.take("on")
                type_condition = self.take()
                self.directives()
                fragments[name] = {"on": type_condition, "selections": self.selections()}
            elif self.peek("{"):
                operations.append({"kind": "query", "name": None, "vars": {}, "selections": self.selections()})
            else:
                kind = self.take()
                name = None if self.peek("(") or self.peek("{") else self.take()
                variables = self.variable_definitions() if self.peek("(") else {}
                self.directives()
                operations.append({"kind": kind, "name": name, "vars": variables, "selections": self.selections()})
        if len(operations) != 1:
            raise GraphQLError(f"expected one operation, got {len(operations)}")
        return operations[0], fragments

    def variable_definitions(self) -> dict[str, Any]:
        defs: dict[str, Any] = {}
        self.take("(")
        while not self.peek(")"):
            self.take("$")
            name = self.take()
            self.take(":")
            self.type_ref()
            default = None
            if self.peek("="):
                self.take()
                default = self.value()
            defs[name] = default
        self.take(")")
        return defs

    def type_ref(self) -> None:
        if self.peek("["):
            self.take()
            self.type_ref()
            self.take("]")
        else:
            self.take()
        if self.peek("!"):
            self.take()

    def directives(self) -> None:
        while self.peek("@"):
            self.take()
            self.take()
            if self.peek("("):
                self.arguments()

    def selections(self) -> list[dict[str, Any]]:
        self.take("{")
        out: list[dict[str, Any]] = []
        while not self.peek("}"):
            if self.peek("..."):
                self.take()
                if self.peek("on"):
                    self.take()
                    type_condition = self.take()
                    self.directives()
                    out.append({"inline": type_condition, "selections": self.selections()})
                elif self.peek("{"):
                    out.append({"inline": None, "selections": self.selections()})
                else:
                    out.append({"spread": self.take()})
                    self.directives()
                continue
            name = self.take()
            alias = name
            if self.peek(":"):
                self.take()
                name = self.take()
            args = self.arguments() if self.peek("(") else {}
            self.directives()
            sub = self.selections() if self.peek("{") else None
            out.append({"field": name, "alias": alias, "args": args, "selections": sub})
        self.take("}")
        return out

    def arguments(self) -> dict[str, Any]:
        args: dict[str, Any] = {}
        self.take("(")
        while not self.peek(")"):
            name = self.take()
            self.take(":")
            args[name] = self.value()
        self.take(")")
        return args

    def value(self) -> Any:
        kind, text = self.tokens[self.pos]
        if text == "$":
            self.take()
            return ("$", self.take())
        if text == "[":
            self.take()
            items = []
            while not self.peek("]"):
                items.append(self.value())
            self.take("]")
            return items
        if text == "{":
            self.take()
            obj = {}
            while not self.peek("}"):
                key = self.take()
                self.take(":")
                obj[key] = self.value()
            self.take("}")
            return obj
        self.take()
        if kind == "number":
            return float(text) if any(c in text for c in ".eE") else int(text)
        if kind == "string":
            import json

            return json.loads(text)
        if kind == "block":
            return text[3:-3]
        return {"true": True, "false": False, "null": None}.get(text, text)  # enums as their names


def _resolve_value(value: Any, variables: dict[str, Any]) -> Any:
    if isinstance(value, tuple) and value and value[0] == "$":
        return variables.get(value[1])
    if isinstance(value, list):
        return [_resolve_value(item, variables) for item in value]
    if isinstance(value, dict):
        return {key: _resolve_value(item, variables) for key, item in value.items()}
    return value


def execute(root: Node, mutation_root: Node | None, query: str, variables: dict[str, Any] | None
            ) -> tuple[str | None, dict[str, Any]]:
    """(operation name, the JSON answer) for one request."""
    try:
        operation, fragments = _Parser(query).document()
    except GraphQLError as exc:
        return None, {"errors": [{"message": str(exc)}]}
    values = {name: default for name, default in operation["vars"].items()}
    values.update(variables or {})
    start = mutation_root if operation["kind"] == "mutation" else root
    if start is None:
        return operation["name"], {"errors": [{"message": "no mutations here"}]}
    errors: list[dict[str, Any]] = []
    data = _select(start, operation["selections"], fragments, values, errors, [])
    answer: dict[str, Any] = {"data": data}
    if errors:
        answer["errors"] = errors
    return operation["name"], answer


def _select(node: Node, selections: list[dict[str, Any]], fragments: dict[str, Any], variables: dict[str, Any],
            errors: list[dict[str, Any]], path: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for selection in selections:
        if "spread" in selection:
            fragment = fragments[selection["spread"]]
            if node.is_a(fragment["on"]):
                _merge(out, _select(node, fragment["selections"], fragments, variables, errors, path))
            continue
        if "inline" in selection:
            if selection["inline"] is None or node.is_a(selection["inline"]):
                _merge(out, _select(node, selection["selections"], fragments, variables, errors, path))
            continue
        name, alias = selection["field"], selection["alias"]
        if name == "__typename":
            out[alias] = node.typename
            continue
        args = _resolve_value(selection["args"], variables)
        try:
            value = node.field(name, args)
        except GraphQLError as exc:
            errors.append({"message": str(exc), "path": [*path, alias]})
            out[alias] = None
            continue
        out[alias] = _shape(value, selection["selections"], fragments, variables, errors, [*path, alias])
    return out


def _shape(value: Any, selections: list[dict[str, Any]] | None, fragments: dict[str, Any],
           variables: dict[str, Any], errors: list[dict[str, Any]], path: list[str]) -> Any:
    if isinstance(value, list):
        return [_shape(item, selections, fragments, variables, errors, path) for item in value]
    if isinstance(value, Node):
        if selections is None:
            errors.append({"message": f"Field must have selections (field '{path[-1]}' returns {value.typename})"})
            return None
        return _select(value, selections, fragments, variables, errors, path)
    if isinstance(value, dict) and selections is not None:
        return {key: item for key, item in value.items()}
    return value


def _merge(into: dict[str, Any], more: dict[str, Any]) -> None:
    for key, value in more.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        else:
            into[key] = value

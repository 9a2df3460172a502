"""Match a request path and method against a REST API's resource tree, as API Gateway
does: literal segments before `{param}` segments before a greedy `{proxy+}`, and a
method defined on the resource (or ANY). No match: API Gateway's 403 "Missing
Authentication Token"."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar
from urllib.parse import unquote


class Routable(Protocol):
    @property
    def path(self) -> str: ...

    @property
    def methods(self) -> Mapping[str, Any]: ...


R = TypeVar("R", bound=Routable)


@dataclass(frozen=True)
class RouteMatch(Generic[R]):
    resource: R
    method: Any  # resource.methods[<the request's method or ANY>]
    path_parameters: dict[str, str]


@dataclass
class _Node(Generic[R]):
    resource: R | None = None
    literals: dict[str, _Node[R]] = field(default_factory=dict)
    params: list[tuple[str, _Node[R]]] = field(default_factory=list)
    greedy: list[tuple[str, R]] = field(default_factory=list)


def segments(path: str) -> list[str]:
    stripped = path.strip("/")
    return stripped.split("/") if stripped else []


class Router(Generic[R]):
    def __init__(self, resources: Iterable[R]) -> None:
        self._root: _Node[R] = _Node()
        for resource in resources:
            node = self._root
            parts = segments(resource.path)
            for index, part in enumerate(parts):
                if part.startswith("{") and part.endswith("+}") and index == len(parts) - 1:
                    node.greedy.append((part[1:-2], resource))
                    break
                if part.startswith("{") and part.endswith("}"):
                    name = part[1:-1]
                    child = next((n for p, n in node.params if p == name), None)
                    if child is None:
                        child = _Node()
                        node.params.append((name, child))
                    node = child
                else:
                    node = node.literals.setdefault(part, _Node())
            else:
                node.resource = resource

    def match(self, path: str, http_method: str) -> RouteMatch[R] | None:
        """The resource and method for a request path (without the stage), or None."""
        found = self._find(self._root, [unquote(s) for s in segments(path)], {})
        if found is None:
            return None
        resource, parameters = found
        method = resource.methods.get(http_method.upper()) or resource.methods.get("ANY")
        return None if method is None else RouteMatch(resource, method, parameters)

    def _find(self, node: _Node[R], rest: list[str], bound: dict[str, str]) -> tuple[R, dict[str, str]] | None:
        if not rest:
            return None if node.resource is None else (node.resource, bound)
        head, tail = rest[0], rest[1:]
        child = node.literals.get(head)
        if child is not None and (found := self._find(child, tail, bound)) is not None:
            return found
        if head:
            for name, param_node in node.params:
                if (found := self._find(param_node, tail, {**bound, name: head})) is not None:
                    return found
        for name, resource in node.greedy:
            if all(rest):
                return resource, {**bound, name: "/".join(rest)}
        return None

"""Where in a Sceptre project's YAML a configuration error is: file and line.

A `ConfigError` names the environment, stack and field; this finds the line that sets
it, for messages a person can act on (`config/dev/config.yaml:14: ...`). Paths follow
the layout `blueprints.project.loader` reads::

    config/config.yaml          project_code, region, environments
    config/<env>/config.yaml    region, environment: {<shared keys>, stacks: {<stack>: {<field>: ...}}}
    config/<env>/<stack>.yaml   template: {type: blueprint, name: ...}  (often a link to stacks/<stack>.yaml)

A field that is not in the file (a missing required setting, a default that differs)
is located at the closest enclosing key that is: the stack's mapping, the `stacks:` or
the `environment:` block. The files are parsed with YAML's composer (nodes carry their
marks), so Sceptre's resolver tags need no constructors; Jinja expressions in stack
files are blanked first, keeping line numbers.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from blueprints.core.errors import ANY_STACK

_STACK_FILE_KEYS = {"template", "parameters", "hooks"}  # fields set in the stack's own file
_JINJA = re.compile(r"{{.*?}}|{%.*?%}|{#.*?#}", re.DOTALL)


@dataclass(frozen=True)
class Location:
    """A file (relative to the project directory when inside it) and a 1-based line."""

    path: str
    line: int | None

    def __str__(self) -> str:
        return self.path if self.line is None else f"{self.path}:{self.line}"


def locate(project_dir: str | Path, environment: str, stack: str, field: str) -> Location:
    """The file and line that set `field` of `stack` in `environment` (see the module doc).

    `field` is as a `ConfigError` names it: a stack setting (`nat_gateways`,
    `allowed_currencies.1`), an environment setting (`environment.domain`,
    `environment.stacks.netwrk`), the region, a key of the stack's own file (`template.name`,
    `parameters`), a project key (`project_code`, `environments`) or the name of a file that
    could not be read (`config.yaml`)."""
    root = Path(project_dir)
    config = root / "config"
    env_file = config / environment / "config.yaml"
    parts = _split(field) or [""]
    if field.endswith(".yaml") and "/" not in field:  # the file itself could not be read
        unreadable = config / field if environment == config.name else config / environment / field
        if unreadable.is_file():
            return _find(root, unreadable, [], fallback=1)
    stack_file = config / environment / f"{stack}.yaml"
    if parts[0] in _STACK_FILE_KEYS and stack != ANY_STACK and stack_file.is_file():
        return _find(root, stack_file, [(parts, 1)], fallback=1)
    if field in {"project_code", "environments"} or not env_file.is_file():
        return _find(
            root, config / "config.yaml", [([field] if field == "project_code" else ["environments"], 1)], fallback=1
        )
    if field == "region":
        found = _find(root, env_file, [(["region"], 1)])
        return found if found.line is not None else _find(root, config / "config.yaml", [(["region"], 1)])
    if parts[0] == "environment":
        return _find(root, env_file, [(parts, 1)], fallback=1)
    if stack != ANY_STACK:
        # the stack's own setting, else an environment-wide one filled into the stack, else the
        # stack's mapping (a missing setting), else the `environment:` block
        keys: list[str | int] = ["environment", "stacks", stack, *parts]
        shared: list[str | int] = ["environment", *parts]
        candidates: list[tuple[list[str | int], int]] = [
            (keys, len(keys)),
            (shared, len(shared)),
            (keys, 3),
            (["environment"], 1),
        ]
        return _find(root, env_file, candidates, fallback=1)
    return _find(root, env_file, [(["environment", *parts], 1)], fallback=1)


def file_location(path: Path, line: int | None) -> Location:
    """`line` of a configuration file, the file shown relative to its project directory (the
    parent of `config/`: `config/config.yaml`, `config/<env>/<file>.yaml`), a linked stack
    file as the file it links to."""
    path = path.absolute()
    root = path.parents[2] if path.parent.parent.name == "config" else path.parents[1]
    return Location(_display(root, path), line)


def yaml_syntax(err: yaml.YAMLError) -> tuple[str, int | None]:
    """A YAML parser's error as a reason and the 1-based line it is on (None if unknown):
    `not valid YAML: mapping values are not allowed here (column 9)`, with what the parser
    was reading when it started elsewhere (`while parsing a flow sequence from line 2, column 5`)."""
    problem = getattr(err, "problem", None)
    mark = getattr(err, "problem_mark", None) or getattr(err, "context_mark", None)
    context, context_mark = getattr(err, "context", None), getattr(err, "context_mark", None)
    if not problem:  # not a parser error with marks (a reader error: an unreadable character)
        return f"not valid YAML: {' '.join(str(err).split())}", None
    reason = f"not valid YAML: {problem}"
    details = [f"column {mark.column + 1}"] if mark is not None else []
    if context and context_mark is not None and (mark is None or context_mark.line != mark.line):
        details.append(f"{context} from line {context_mark.line + 1}, column {context_mark.column + 1}")
    elif context:
        details.append(context)
    reason += f" ({'; '.join(details)})" if details else ""
    return reason, mark.line + 1 if mark is not None else None


def _split(field: str) -> list[str | int]:
    return [int(p) if p.isdigit() else p for p in field.split(".")] if field else []


def _find(
    root: Path, path: Path, candidates: Sequence[tuple[Sequence[str | int], int]], *, fallback: int | None = None
) -> Location:
    """The line of the deepest key found of the first candidate (key path, minimum depth) that
    `path` has to at least that depth; else `fallback`."""
    shown = _display(root, path)
    try:
        text = path.read_text()
        document = yaml.compose(_JINJA.sub(lambda m: "jinja" + "\n" * m.group().count("\n"), text), yaml.SafeLoader)
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        return Location(shown, mark.line + 1 if mark is not None else fallback)
    except (OSError, yaml.YAMLError):
        return Location(shown, fallback)
    for keys, minimum in candidates:
        depth, line = _walk(document, keys)
        if depth >= minimum and line is not None:
            return Location(shown, line)
    return Location(shown, fallback)


def _walk(node: yaml.Node | None, keys: Sequence[str | int]) -> tuple[int, int | None]:
    """How many of `keys` lead from `node`, and the line of the last one found."""
    line = None
    for depth, key in enumerate(keys):
        child = None
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                if isinstance(key_node, yaml.ScalarNode) and key_node.value == str(key):
                    child, line = value_node, key_node.start_mark.line + 1
                    break
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and 0 <= key < len(node.value):
            child = node.value[key]
            line = child.start_mark.line + 1
        if child is None:
            return depth, line
        node = child
    return len(keys), line


def _display(root: Path, path: Path) -> str:
    """`path` relative to the project directory; a linked stack file as the file it links to."""
    resolved_root = root.resolve()
    for candidate in (path.resolve(), path.absolute()):
        if candidate.is_relative_to(resolved_root):
            return candidate.relative_to(resolved_root).as_posix()
    return str(path)

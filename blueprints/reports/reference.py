"""The settings reference, made from the config models themselves.

Every environment-wide setting (`EnvironmentSettings`) and every setting of every
registered stack (`BLUEPRINTS[stack].config_model`): its name as written in config, its
type written for a person (from the annotation and its constraints: bounds, lengths,
patterns, literals, validators), its default, its meaning (the field's description),
whether it may differ between environments, and whether it is filled from an
environment-wide setting. If the package `blueprints.blocks` exists, each of its public
building blocks is listed too, with its options.

Pure: reads models and the registry, imports no Sceptre and touches no file;
`python -m scripts.reference --write` writes the page to docs/reference.md (`make report`).
"""

from __future__ import annotations

import dataclasses
import enum
import importlib
import inspect
import ipaddress
import json
import re
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from blueprints.core import Blueprint, is_per_environment
from blueprints.project.registry import BLUEPRINTS
from blueprints.project.settings import EnvironmentSettings, SharedSettings

BLOCKS_MODULE = "blueprints.blocks"

PER_ENVIRONMENT = "per environment"
INVARIANT = "invariant"

# Constraint attributes shared by annotated_types (Gt, Ge, MinLen, ...) and pydantic's own
# field metadata (pattern, max_digits, ...).
_CONSTRAINTS = (
    "gt",
    "ge",
    "lt",
    "le",
    "multiple_of",
    "min_length",
    "max_length",
    "pattern",
    "max_digits",
    "decimal_places",
)
_SEQUENCES = (tuple, list, set, frozenset, Sequence, typing.Sequence)
_MAPPINGS = (dict, Mapping, typing.Mapping)
# Characters that mean themselves in a regular expression (for reading `^(A|B)$` as a choice).
_PLAIN = r"[A-Za-z0-9_ ,:/=@-]*"
_CHOICE = re.compile(rf"^\^({_PLAIN})\((?:\?:)?({_PLAIN}(?:\|{_PLAIN})+)\)({_PLAIN})\$$")


@dataclass(frozen=True)
class Setting:
    """One setting as the reference shows it."""

    name: str  # as written in config: `domain`, `network.cidr`
    type: str
    default: str  # "required", a value, or where it is filled from
    scope: str  # PER_ENVIRONMENT or INVARIANT
    meaning: str
    filled_from: str | None = None  # the environment-wide setting it is filled from


# --- types, written for a person ---------------------------------------------------------


def describe_type(annotation: Any, metadata: Sequence[Any] = ()) -> str:
    """`annotation` (with its pydantic/annotated-types `metadata`) in words: "integer 1-29",
    "one of OFF, OPTIONAL, ON", "list of text", "log retention days: one of 1, 3, ..."."""
    annotation, metadata, _ = _unwrap(annotation, metadata)
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in args if a is not type(None)]
        text = " or ".join(describe_type(a, metadata) if len(options) == 1 else describe_type(a) for a in options)
        return f"{text}, or null (unset)" if len(options) < len(args) else text
    if origin is typing.Literal:
        return "one of " + ", ".join(_plain(a) for a in args)
    if origin in _SEQUENCES or annotation in _SEQUENCES:
        return _sequence(annotation, args, metadata)
    if origin in _MAPPINGS or annotation in _MAPPINGS:
        key, value = args if len(args) == 2 else (Any, Any)
        return _with_constraints(f"mapping of {describe_type(key)} to {describe_type(value)}", {}, metadata)
    return _scalar(annotation, metadata)


def _unwrap(annotation: Any, metadata: Sequence[Any]) -> tuple[Any, list[Any], str | None]:
    """Strip `Annotated[...]`, gathering its metadata (and that of `Field(...)`s inside it)."""
    gathered: list[Any] = []
    description = None
    if typing.get_origin(annotation) is typing.Annotated:
        annotation, *extra = typing.get_args(annotation)
        metadata = [*extra, *metadata]
    for item in metadata:
        if isinstance(item, FieldInfo):
            gathered += item.metadata
            description = description or item.description
        else:
            gathered.append(item)
    return annotation, gathered, description


def _sequence(annotation: Any, args: tuple[Any, ...], metadata: Sequence[Any]) -> str:
    items = [a for a in args if a is not Ellipsis]
    if len(items) > 1:  # a fixed-length tuple
        return "(" + ", ".join(describe_type(a) for a in items) + ")"
    item = describe_type(items[0]) if items else "any value"
    if item.startswith("one of "):
        item = item.removeprefix("one of ")
    elif "," in item and not item.startswith("("):
        item = f"({item})"
    return _with_constraints(f"list of {item}", {}, metadata, unit="items")


def _scalar(annotation: Any, metadata: Sequence[Any]) -> str:
    if annotation is bool:
        base = "true or false"
    elif annotation is int:
        base = "integer"
    elif annotation is float:
        base = "number"
    elif annotation is Decimal:
        base = "decimal"
    elif annotation is str:
        base = "text"
    elif annotation is Any or annotation is object:
        base = "any value"
    elif isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return "one of " + ", ".join(_plain(m.value) for m in annotation)
    elif isinstance(annotation, type) and issubclass(annotation, ipaddress.IPv4Network | ipaddress.IPv6Network):
        base = f"{annotation.__name__.removesuffix('Network')} network"
    elif isinstance(annotation, type):
        base = f"`{annotation.__name__}`"
    elif isinstance(annotation, str | typing.ForwardRef):
        base = f"`{getattr(annotation, '__forward_arg__', annotation)}`"
    else:
        base = f"`{_qualified(annotation)}`"
    return _with_constraints(base, {"int": annotation is int}, metadata)


def _with_constraints(base: str, kind: Mapping[str, bool], metadata: Sequence[Any], unit: str = "characters") -> str:
    found: dict[str, Any] = {}
    validators: list[Any] = []
    others: list[str] = []
    for item in metadata:
        known = {name: getattr(item, name) for name in _CONSTRAINTS if getattr(item, name, None) is not None}
        if known:
            found.update(known)
        elif callable(getattr(item, "func", None)):
            validators.append(item)
        elif item is not None and type(item).__name__ not in ("Strict", "_PydanticGeneralMetadata"):
            others.append(f"`{type(item).__name__}`")
    if kind.get("int"):
        _integer_bounds(found)
    text = " ".join(filter(None, (base, _bounds(found))))
    if "pattern" in found:
        choice = _CHOICE.fullmatch(found["pattern"])
        if choice and base == "text":
            prefix, alternatives, suffix = choice.groups()
            text = "one of " + ", ".join(prefix + a + suffix for a in alternatives.split("|"))
        else:
            text += f" matching `{found['pattern']}`"
    text += _extents(found, unit)
    for validator in validators:
        text = _validated(text, validator)
    return text + (f" (also {', '.join(others)})" if others else "")


def _integer_bounds(found: dict[str, Any]) -> None:
    """For integers "> 0" is ">= 1": ranges then read as "1-29"."""
    if "gt" in found:
        low = found.pop("gt") + 1
        found["ge"] = max(low, found.get("ge", low))
    if "lt" in found:
        high = found.pop("lt") - 1
        found["le"] = min(high, found.get("le", high))


def _extents(found: Mapping[str, Any], unit: str) -> str:
    text = ""
    lengths = [f"at least {found['min_length']}"] if "min_length" in found else []
    lengths += [f"at most {found['max_length']}"] if "max_length" in found else []
    if lengths:
        last = found.get("max_length", found.get("min_length"))
        text += f" ({' and '.join(lengths)} {unit.removesuffix('s') if last == 1 else unit})"
    if "max_digits" in found:
        text += f", at most {found['max_digits']} digits"
    if "decimal_places" in found:
        text += f", at most {found['decimal_places']} decimal places"
    if "multiple_of" in found:
        text += f", a multiple of {found['multiple_of']}"
    return text


def _bounds(found: Mapping[str, Any]) -> str:
    low, high = found.get("ge"), found.get("le")
    if low is not None and high is not None and "gt" not in found and "lt" not in found:
        return f"{low}-{high}"
    parts = [
        f"{sign} {found[key]}" for key, sign in (("gt", ">"), ("ge", ">="), ("lt", "<"), ("le", "<=")) if key in found
    ]
    return " and ".join(parts)


def _validated(text: str, validator: Any) -> str:
    """`text` with what a validator (AfterValidator and the like) checks, as far as it says:
    its docstring; else the constant collection it checks against (when the validator accepts
    exactly its members); else its name, pointing to the field's meaning for the rule."""
    func = validator.func
    alias = _alias_of(validator, func)
    doc = _first_paragraph(inspect.getdoc(func) if getattr(func, "__doc__", None) else None)
    accepted = None if doc else _accepted_values(func)
    if doc:
        text = f"{text}; {_lower_first(doc)}"
    elif accepted is not None:
        text = "one of " + ", ".join(_plain(v) for v in accepted)
    else:
        text = f"{text}, checked by `{_qualified(func)}` (its rule: see the meaning)"
    return f"{alias}: {text}" if alias else text


def _alias_of(validator: Any, func: Callable[..., Any]) -> str | None:
    """The name of the `Annotated` type a validator belongs to (`LogRetentionDays` -> "log
    retention days"), looked up next to the validator's function."""
    namespace = getattr(func, "__globals__", {})
    names = sorted(
        name
        for name, value in namespace.items()
        if typing.get_origin(value) is typing.Annotated and any(m is validator for m in value.__metadata__)
    )
    names = [n for n in names if not n.startswith("_")] or names
    if not names:
        return None
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", names[0].lstrip("_")).lower()


def _accepted_values(func: Callable[..., Any]) -> tuple[Any, ...] | None:
    """The one constant collection of scalars the validator refers to, if it accepts every
    member and refuses a value just outside it (an allow-list); else None."""
    code = getattr(func, "__code__", None)
    if code is None or code.co_argcount != 1:
        return None
    namespace = getattr(func, "__globals__", {})
    found = []
    for name in code.co_names:
        values = namespace.get(name)
        if not isinstance(values, tuple | list | set | frozenset) or len(values) < 2:
            continue
        kinds = {type(v) for v in values}
        if len(kinds) != 1 or kinds.pop() not in (int, str, float):
            continue
        ordered = tuple(sorted(values))
        outside = max(ordered) + 1 if isinstance(ordered[0], int | float) else "".join(ordered) + "-"
        if all(_accepts(func, v) for v in ordered) and not _accepts(func, outside):
            found.append(ordered if isinstance(values, set | frozenset) else tuple(values))
    return found[0] if len(found) == 1 else None


def _accepts(func: Callable[..., Any], value: Any) -> bool:
    try:
        func(value)
    except Exception:  # any refusal counts as "not accepted"
        return False
    return True


def _qualified(thing: Any) -> str:
    name = getattr(thing, "__qualname__", None) or getattr(thing, "__name__", None)
    return str(name) if name else type(thing).__name__


def _first_paragraph(doc: str | None) -> str:
    if not doc:
        return ""
    return " ".join(doc.strip().split("\n\n")[0].split())


def _lower_first(text: str) -> str:
    return text[0].lower() + text[1:] if len(text) > 1 and text[1].islower() else text


def _plain(value: Any) -> str:
    if isinstance(value, enum.Enum):
        value = value.value
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# --- defaults -----------------------------------------------------------------------------


def describe_value(value: Any) -> str:
    """A default as written in config."""
    if value is None:
        return "none (unset)"
    if isinstance(value, bool | enum.Enum):
        return _plain(value)
    if isinstance(value, str):
        return f"`{value}`" if value else "empty text"
    if isinstance(value, tuple | list | set | frozenset):
        return ", ".join(describe_value(v) for v in value) or "empty list"
    if isinstance(value, Mapping):
        return ", ".join(f"{k}: {describe_value(v)}" for k, v in value.items()) or "empty mapping"
    if isinstance(value, int | float | Decimal):
        return str(value)
    return _object_value(value)


def _object_value(value: Any) -> str:
    """An object as its own JSON form (troposphere's `to_dict()`, awacs' `JSONrepr()`), or its
    text when its class defines one; never a `<... object at 0x...>` repr."""
    for method in ("to_dict", "JSONrepr"):
        form = getattr(value, method, None)
        if callable(form):
            try:
                shown = form()
            except Exception:  # an object that cannot show itself is named by its type
                break
            return f"`{shown if isinstance(shown, str) else json.dumps(shown, sort_keys=True, default=str)}`"
    text = str(value)
    own_text: bool = vars(object)["__str__"] is not getattr(type(value), "__str__", None)
    if own_text and " at 0x" not in text:
        return f"`{text}`"
    return f"`{_qualified(type(value))}` value"


def _field_default(field: FieldInfo) -> str:
    if field.is_required():
        return "required"
    if field.default_factory is not None:
        try:
            return describe_value(field.default_factory())  # type: ignore[call-arg]
        except TypeError:
            return f"computed by `{_qualified(field.default_factory)}`"
    return describe_value(field.default)


# --- settings -----------------------------------------------------------------------------


def model_settings(model: type[BaseModel], prefix: str = "") -> list[Setting]:
    """Every field of a config model; stack fields are named `<prefix>.<field>`."""
    settings = []
    shared = SharedSettings.model_fields
    for name, field in model.model_fields.items():
        filled = prefix and name in shared
        text = describe_type(field.annotation, field.metadata)
        text += _model_validators_of(model, name)
        meaning = field.description or "(no description)"
        settings.append(
            Setting(
                name=f"{prefix}.{name}" if prefix else name,
                type=text,
                default=f"filled from `{name}`" if filled else _field_default(field),
                scope=PER_ENVIRONMENT if is_per_environment(field) else INVARIANT,
                meaning=meaning,
                filled_from=name if filled else None,
            )
        )
    return settings


def _model_validators_of(model: type[BaseModel], field: str) -> str:
    """Field validators declared on the model (`@field_validator`) for this field."""
    found = []
    for name, decorator in model.__pydantic_decorators__.field_validators.items():
        if field in decorator.info.fields or "*" in decorator.info.fields:
            doc = _first_paragraph(inspect.getdoc(decorator.func) if decorator.func.__doc__ else None)
            found.append(f"; also checked by `{model.__name__}.{name}`" + (f": {_lower_first(doc)}" if doc else ""))
    return "".join(found)


def environment_settings(registry: Mapping[str, type[Blueprint[Any]]] | None = None) -> list[Setting]:
    """The environment-wide settings. One that no stack declares is not a template input:
    it is per environment whatever its declaration (the consistency contract compares the
    stacks' settings)."""
    registry = BLUEPRINTS if registry is None else registry
    settings = []
    for setting in model_settings(EnvironmentSettings):
        users = {
            stack: bp.config_model.model_fields[setting.name]
            for stack, bp in registry.items()
            if setting.name in bp.config_model.model_fields
        }
        if users:
            # It varies as far as every stack that declares it lets it (the contract compares stacks).
            scope = PER_ENVIRONMENT if all(is_per_environment(f) for f in users.values()) else INVARIANT
            meaning = f"{setting.meaning} Filled into: {', '.join(f'`{u}`' for u in users)}."
            settings.append(dataclasses.replace(setting, scope=scope, meaning=meaning))
        else:
            meaning = f"{setting.meaning} Not a stack input (no stack declares it)."
            settings.append(dataclasses.replace(setting, scope=PER_ENVIRONMENT, meaning=meaning))
    return settings


def stack_settings(stack: str, registry: Mapping[str, type[Blueprint[Any]]] | None = None) -> list[Setting]:
    registry = BLUEPRINTS if registry is None else registry
    return model_settings(registry[stack].config_model, stack)


# --- the page -----------------------------------------------------------------------------

_HEADER = "| setting | type | default | varies | meaning |\n|---|---|---|---|---|"


def _cell(text: str) -> str:
    """A table cell: `|` escaped, and `<` outside code spans written as an entity (Markdown
    would read `<stack>` as an HTML tag and show nothing)."""
    parts = " ".join(text.split()).replace("|", "\\|").split("`")
    for i in range(0, len(parts), 2):  # the even parts are outside code spans
        parts[i] = parts[i].replace("<", "&lt;")
    return "`".join(parts)


def _cells(*cells: str) -> str:
    return "| " + " | ".join(_cell(c) for c in cells) + " |"


def _row(setting: Setting) -> str:
    return _cells(f"`{setting.name}`", setting.type, setting.default, setting.scope, setting.meaning)


def build(registry: Mapping[str, type[Blueprint[Any]]] | None = None, blocks: str = BLOCKS_MODULE) -> str:
    """The whole reference page (Markdown)."""
    registry = BLUEPRINTS if registry is None else registry
    environment = environment_settings(registry)
    stacks = {stack: stack_settings(stack, registry) for stack in registry}
    own = sum(1 for found in stacks.values() for s in found if not s.filled_from)
    lines = [
        "# Settings reference",
        "",
        "Generated by `make report` (`python -m scripts.reference --write`) from the config models in",
        "`blueprints/`; a test fails when this page is stale. Every setting is read from",
        "`sceptre_project/config/<env>/config.yaml`:",
        "",
        "```yaml",
        "region: eu-west-1       # Sceptre's own key: the environment's region",
        "environment:",
        "  domain: ...           # environment-wide settings",
        "  stacks:",
        "    network:            # `<stack>.<setting>`: the settings of one stack",
        "      cidr: ...",
        "```",
        "",
        "- **per environment**: declared `per_environment(...)`: may differ between environments.",
        "- **invariant**: the same in every environment; a project that sets it differently in two",
        "  environments is refused, naming it. Leave it out to get its default.",
        "- **filled from**: an environment-wide setting is filled into every stack that declares a field",
        "  of its name, and may not be set per stack.",
        "",
        f"{len(environment)} environment-wide settings; {own} stack settings in {len(stacks)} stacks.",
        "",
        "## Environment-wide settings",
        "",
        _HEADER,
        *(_row(s) for s in environment),
        "",
        "## Stack settings",
    ]
    for stack, found in stacks.items():
        blueprint = registry[stack]
        model = blueprint.config_model
        lines += ["", f"### {stack}", "", f"{blueprint.description}. {_first_paragraph(model.__doc__)}"]
        lines += _cross_field_checks(model)
        lines += ["", _HEADER, *(_row(s) for s in found)]
    lines += blocks_section(blocks)
    return "\n".join(lines) + "\n"


def _cross_field_checks(model: type[BaseModel]) -> list[str]:
    found = []
    for name, decorator in model.__pydantic_decorators__.model_validators.items():
        doc = _first_paragraph(inspect.getdoc(decorator.func) if decorator.func.__doc__ else None)
        found.append(f"- checked across its settings by `{model.__name__}.{name}`" + (f": {doc}" if doc else ""))
    return ["", *found] if found else []


# --- building blocks ----------------------------------------------------------------------


@dataclass(frozen=True)
class Option:
    """One option of a building block."""

    name: str
    type: str
    default: str
    meaning: str


def blocks_section(module_name: str = BLOCKS_MODULE) -> list[str]:
    """Lines of the building blocks section: each public name of the module, its docstring's
    first paragraph and its options. Empty when the module does not exist."""
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as err:
        if err.name != module_name:
            raise
        return []
    names = getattr(module, "__all__", None)
    if names is None:
        names = [n for n, v in vars(module).items() if not n.startswith("_") and _defined_in(v, module_name)]
    if not names:
        return []
    lines = [
        "",
        "## Building blocks",
        "",
        f"The public names of `{module_name}` (its `__all__`), with their options.",
    ]
    for name in names:
        obj = getattr(module, name)
        if not (isinstance(obj, type) or callable(obj)):  # a constant: its docstring would be its type's
            lines += ["", f"### `{name}`", "", f"A constant: {describe_value(obj)}."]
            continue
        doc = _first_paragraph(inspect.cleandoc(obj.__doc__) if isinstance(obj.__doc__, str) else None)
        lines += ["", f"### `{name}`", "", doc or "(no docstring)"]
        options = block_options(obj)
        if options:
            lines += ["", "| option | type | default | meaning |", "|---|---|---|---|"]
            lines += [
                "| " + " | ".join(_cell(c) for c in (f"`{o.name}`", o.type, o.default, o.meaning)) + " |"
                for o in options
            ]
    return lines


def _defined_in(value: Any, module_name: str) -> bool:
    return str(getattr(value, "__module__", "")).startswith(module_name)


def block_options(obj: Any) -> list[Option]:
    """The options of a block: pydantic fields, dataclass fields, or constructor/function
    parameters (and, for a class whose constructor takes `**options`, the fields of the
    option models it holds as class attributes), described by the fields or the docstring."""
    documented = _documented_options(obj.__doc__ if isinstance(obj.__doc__, str) else "")
    if isinstance(obj, type) and (issubclass(obj, BaseModel) or dataclasses.is_dataclass(obj)):
        return _fields_of(obj, documented)
    if not callable(obj):
        return []
    try:
        signature = inspect.signature(obj)
    except (TypeError, ValueError):
        return []
    if isinstance(obj, type):
        documented = {
            **_documented_options(getattr(getattr(obj, "__init__", None), "__doc__", None) or ""),
            **documented,
        }
    hints = _hints(obj)
    options = []
    for parameter in signature.parameters.values():
        if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD) or parameter.name in ("self", "cls"):
            continue
        annotation = hints.get(parameter.name, parameter.annotation)
        _, _, described = _unwrap(annotation, ())
        options.append(
            Option(
                parameter.name,
                "any value" if annotation is parameter.empty else describe_type(annotation),
                "required" if parameter.default is parameter.empty else describe_value(parameter.default),
                described or documented.get(parameter.name, "(undocumented)"),
            )
        )
    if isinstance(obj, type) and any(p.kind is p.VAR_KEYWORD for p in signature.parameters.values()):
        for model in _option_models(obj):
            options += _fields_of(model, documented)
    return options


def _option_models(cls: type) -> list[type]:
    """Class attributes that are option models (pydantic models or dataclasses)."""
    found: list[type] = []
    for name in dir(cls):
        value = getattr(cls, name, None) if not name.startswith("__") else None
        if isinstance(value, type) and (issubclass(value, BaseModel) or dataclasses.is_dataclass(value)):
            found += [value] if value not in found else []
    return found


def _fields_of(model: type, documented: Mapping[str, str]) -> list[Option]:
    documented = {**_documented_options(model.__doc__ or ""), **documented}
    if issubclass(model, BaseModel):
        return [
            Option(
                name,
                describe_type(field.annotation, field.metadata),
                _field_default(field),
                field.description or documented.get(name, "(undocumented)"),
            )
            for name, field in model.model_fields.items()
        ]
    hints = _hints(model)
    options = []
    for field in dataclasses.fields(model):  # type: ignore[arg-type]
        if not field.init:
            continue
        annotation = hints.get(field.name, field.type)
        _, _, described = _unwrap(annotation, ())
        meaning = next(
            (str(field.metadata[k]) for k in ("description", "doc", "help") if k in field.metadata),
            described or documented.get(field.name, "(undocumented)"),
        )
        options.append(Option(field.name, describe_type(annotation), _dataclass_default(field), meaning))
    return options


def _hints(obj: Any) -> dict[str, Any]:
    target = getattr(obj, "__init__", obj) if isinstance(obj, type) and not dataclasses.is_dataclass(obj) else obj
    try:
        return typing.get_type_hints(target, include_extras=True)
    except Exception:  # unresolvable annotations are shown as written
        return dict(getattr(target, "__annotations__", {}))


def _dataclass_default(field: dataclasses.Field[Any]) -> str:
    if field.default is not dataclasses.MISSING:
        return describe_value(field.default)
    if field.default_factory is not dataclasses.MISSING:
        try:
            return describe_value(field.default_factory())
        except Exception:  # a factory that needs more than nothing
            return f"computed by `{_qualified(field.default_factory)}`"
    return "required"


_OPTION_LINE = re.compile(
    r"^(?P<indent>\s*)(?::param\s+(?:[^:\s]+\s+)?)?[`*]*(?P<name>[A-Za-z_]\w*)[`*]*(?:\s*\([^)]*\))?\s*(?::|--|—)\s+"
    r"(?P<text>\S.*)$"
)


def _documented_options(doc: str) -> dict[str, str]:
    """`name: text`, `name (type): text`, `name -- text` or `:param name: text` lines of a
    docstring (with their more-indented continuation lines), by name."""
    found: dict[str, str] = {}
    current: str | None = None
    indent = 0
    for line in inspect.cleandoc(doc).splitlines() if doc else []:
        match = _OPTION_LINE.match(line)
        if match and not line.strip().startswith(("http", "e.g.")):
            current, indent = match["name"], len(match["indent"])
            found[current] = match["text"].strip()
        elif current and line.strip() and len(line) - len(line.lstrip()) > indent:
            found[current] += " " + line.strip()
        else:
            current = None
    return found

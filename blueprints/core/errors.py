"""The package's configuration errors: standard library only, so the Sceptre plugins can
catch them without importing troposphere or pydantic (`blueprints.core` re-exports ConfigError)."""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pydantic import BaseModel, ValidationError


# A ConfigError's environment or stack when the error is not of one (a project-wide setting,
# an environment-wide one).
ANY_STACK = "*"


class ConfigError(ValueError):
    """Bad configuration, located by environment, stack and field; `located_at` (a file and
    line, `config/dev/config.yaml:3`) when the error itself knows it, as a YAML syntax error
    does, and then leads the message."""

    def __init__(
        self, message: str, *, environment: str, stack: str, field: str, located_at: str | None = None
    ) -> None:
        self.environment = environment
        self.stack = stack
        self.field = field
        self.reason = message
        self.located_at = located_at
        where = f"{located_at}: " if located_at else ""
        super().__init__(f"{where}environment {environment!r}, stack {stack!r}, field {field!r}: {message}")

    @classmethod
    def from_validation(
        cls,
        err: ValidationError,
        *,
        environment: str,
        stack: str,
        prefix: str = "",
        model: type[BaseModel] | None = None,
    ) -> ConfigError:
        """The first pydantic error, with every other one appended to the message.

        Given the `model` that was validated, an unknown key gets "did you mean 'x'?" (the
        closest field name, else the list of known ones) and is reported first: a misspelt
        key explains the "Field required" of the name it resembles, which is then left out."""
        errors = err.errors()
        guesses = {i: _closest_field(model, e["loc"]) for i, e in enumerate(errors) if e["type"] == "extra_forbidden"}
        explained = {(*errors[i]["loc"][:-1], guess) for i, guess in guesses.items() if guess}
        problems = []
        for i in sorted(range(len(errors)), key=lambda i: i not in guesses):  # misspelt keys first
            error = errors[i]
            if error["type"] == "missing" and tuple(error["loc"]) in explained:
                continue
            message = error["msg"]
            if guesses.get(i):
                message += f"; did you mean {guesses[i]!r}?"
            elif i in guesses and (known := _fields_at(model, error["loc"][:-1])):
                message += f" (known: {', '.join(known)})"
            problems.append((prefix + ".".join(str(p) for p in error["loc"]), message))
        field, message = problems[0]
        if len(problems) > 1:
            message += "; also " + "; ".join(f"{f or '(root)'}: {m}" for f, m in problems[1:])
        return cls(message, environment=environment, stack=stack, field=field or "(root)")


class InvalidName(ValueError):
    """A project or environment name no physical name can carry (see `blueprints.core.Context`)."""

    def __init__(self, message: str, *, role: str, value: object) -> None:
        self.role = role  # "project" or "environment"
        self.value = value
        super().__init__(message)


def _fields_at(model: type[BaseModel] | None, path: Sequence[int | str]) -> list[str] | None:
    """Field names of the (nested) model at `path` inside `model`, or None if not a model."""
    from pydantic import BaseModel  # noqa: PLC0415 - only on the error path

    for part in path:
        if model is None or part not in model.model_fields:
            return None
        annotation = model.model_fields[str(part)].annotation
        model = annotation if isinstance(annotation, type) and issubclass(annotation, BaseModel) else None
    return list(model.model_fields) if model is not None else None


def _closest_field(model: type[BaseModel] | None, loc: Sequence[int | str]) -> str | None:
    """The declared field an unknown key at `loc` most likely misspells, if any."""
    candidates = _fields_at(model, loc[:-1]) if loc else None
    close = difflib.get_close_matches(str(loc[-1]), candidates, n=1) if candidates else []
    return close[0] if close else None

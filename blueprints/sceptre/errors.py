"""Configuration errors as Sceptre's CLI reports them: one line, located in the project's files.

A configuration error reaches Sceptre as a `SceptreException`, which its CLI prints as one
line (a traceback only with `--debug`) before exiting 1: the file and line that set the
field, then the environment, stack and field, e.g.
`config/dev/config.yaml:14: environment 'dev', stack 'network', field 'nat_gatways': Extra
inputs are not permitted; did you mean 'nat_gateways'?`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sceptre.exceptions import SceptreException

from blueprints.core.errors import ANY_STACK, ConfigError, InvalidName

if TYPE_CHECKING:
    from blueprints.project.locations import Location


class BlueprintConfigError(SceptreException, ConfigError):  # type: ignore[misc]
    """A configuration error as Sceptre's CLI reports it: one line, located.

    `str()` is `<file>:<line>: environment '<env>', stack '<stack>', field '<field>': <reason>`
    (the file relative to the project directory); it is still a `ConfigError` with
    `environment`, `stack`, `field` and `reason`, plus `location`."""

    def __init__(self, error: ConfigError, location: Location | None) -> None:
        super().__init__(error.reason, environment=error.environment, stack=error.stack, field=error.field)
        self.location = location
        text = " ".join(str(self).split())  # one line, whatever the reason's text
        shown = error.located_at or location  # an error that knows its line (YAML syntax) says it
        self.args = (f"{shown}: {text}" if shown is not None else text,)


@contextmanager
def reported(project_dir: str | Path) -> Iterator[None]:
    """Turn a `ConfigError` (or a name no physical name can carry) raised inside into a
    `BlueprintConfigError` located in the project's files: the boundary with Sceptre."""
    try:
        yield
    except BlueprintConfigError:
        raise
    except ConfigError as err:
        raise BlueprintConfigError(err, location_of(project_dir, err)) from err
    except InvalidName as err:
        # project_code and the environment list are in config/config.yaml
        where = "project_code" if err.role == "project" else "environments"
        error = ConfigError(str(err), environment=ANY_STACK, stack=ANY_STACK, field=where)
        raise BlueprintConfigError(error, location_of(project_dir, error)) from err


def location_of(project_dir: str | Path, err: ConfigError) -> Location | None:
    """The file and line that set the erroneous field, if it can be found."""
    from blueprints.project.locations import locate  # noqa: PLC0415 - only on the error path

    try:
        return locate(project_dir, err.environment, err.stack, err.field)
    except Exception:  # the error itself matters more than where it is
        return None


def argument_error(stack: Any, problem: str) -> BlueprintConfigError:
    """A resolver's bad argument: a configuration error of the stack, located in its file."""
    environment, _, name = str(stack.name).partition("/")
    error = ConfigError(problem, environment=environment, stack=name, field="parameters")
    return BlueprintConfigError(error, location_of(stack.stack_group_config["project_path"], error))

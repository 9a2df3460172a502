"""The validated project the plugins share: loaded once per process and version of its
configuration files, since Sceptre asks for it once for every stack (handler, resolvers and
hooks), from several threads."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from blueprints.project import Environment, Project


@dataclass
class LoadedProject:
    stamp: tuple[tuple[str, int, int], ...]
    project: Project
    built: set[str] = field(default_factory=set)  # environments whose every template was built


_PROJECTS: dict[Path, LoadedProject] = {}
_PROJECTS_LOCK = threading.Lock()


def loaded(project_dir: str | Path) -> LoadedProject:
    """The validated project, loaded once per process and version of its config files:
    Sceptre asks for it once for every stack (handler and hooks), from several threads."""
    from blueprints.project.loader import load_project  # noqa: PLC0415 - not at plugin import

    root = Path(project_dir).resolve()
    stamp = _stamp(root)
    with _PROJECTS_LOCK:
        loaded = _PROJECTS.get(root)
        if loaded is None or loaded.stamp != stamp:
            loaded = _PROJECTS[root] = LoadedProject(stamp, load_project(root))
        return loaded


def _stamp(root: Path) -> tuple[tuple[str, int, int], ...]:
    """Path, modification time and size of every YAML file under config/ (links followed)."""
    stamps = []
    for path in sorted((root / "config").rglob("*.yaml")):
        try:
            stat = path.stat()
        except OSError:  # a dangling link: load_project reports it
            continue
        stamps.append((str(path), stat.st_mtime_ns, stat.st_size))
    return tuple(stamps)


def environment_of(stack: Any) -> tuple[Environment, str]:
    """The validated environment a Sceptre stack belongs to, and the stack's blueprint name."""
    environment, _, name = str(stack.name).partition("/")
    project = loaded(stack.stack_group_config["project_path"]).project
    return project.environment(environment, stack=name), name

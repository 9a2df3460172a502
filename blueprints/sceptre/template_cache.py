"""Rendered templates (and the account roles' ARNs) kept by the digest of everything they are
made from, so that a Sceptre command finding them unchanged loads no project, imports no
troposphere or awacs and renders nothing.

A blueprint's template is a pure function of the package's code, the versions of the libraries
that render it (troposphere, awacs, pydantic), the project's configuration files and the
stack's name: the digest covers all of them, and `!account_role`'s ARN likewise. Only the
built-in stacks are kept (another package's blueprint is code outside the digest); a failure
is never kept, so a configuration error is reported every time. Launches still validate the
whole project in their `!validate_environment` hook.

The cache lives in $BLUEPRINTS_TEMPLATE_CACHE, else $XDG_CACHE_HOME/payments-blueprints/templates
(~/.cache/...); BLUEPRINTS_TEMPLATE_CACHE=off turns it off. A cache that cannot be read or
written is skipped. It keeps at most 64 MB (about 70 renders of the three environments): a
write beyond that removes the entries read or written longest ago."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import tempfile
import time
from collections.abc import Callable
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from blueprints.stacks import NAMES

CACHE_VARIABLE = "BLUEPRINTS_TEMPLATE_CACHE"
_FORMAT = b"1"  # what a cached file holds; change it to drop every older entry
_RENDERING_LIBRARIES = ("troposphere", "awacs", "pydantic", "pydantic-core", "PyYAML")
_PACKAGE = Path(__file__).resolve().parent.parent  # blueprints/
_PROJECT_FOLDERS = ("config", "stacks", "templates")  # what a Sceptre project's templates come from
MAX_BYTES = 64 * 1024 * 1024  # beyond this, a write evicts the least recently used entries
_EVICT_TO = 0.75  # ... down to this share of MAX_BYTES, so that not every write lists the directory
_ABANDONED_SECONDS = 3600  # a staged file this old was left by a process that died mid-write


def directory() -> Path | None:
    """Where templates are kept; None when the cache is off."""
    chosen = os.environ.get(CACHE_VARIABLE, "")
    if chosen.lower() == "off":
        return None
    if chosen:
        return Path(chosen)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "payments-blueprints" / "templates"


@functools.cache
def _code_digest() -> bytes:
    """The package's source files and the rendering libraries' versions."""
    digest = hashlib.sha256(_FORMAT)
    for path in sorted(_PACKAGE.rglob("*.py")):
        digest.update(str(path.relative_to(_PACKAGE)).encode() + b"\0" + path.read_bytes() + b"\0")
    for library in _RENDERING_LIBRARIES:
        try:
            digest.update(f"{library}=={version(library)}\0".encode())
        except PackageNotFoundError:
            digest.update(f"{library} absent\0".encode())
    return digest.digest()


def key(project_dir: str | Path, environment: str, stack: str, blueprint: object) -> str | None:
    """The digest a stack's template is kept under; None for a stack the cache does not keep."""
    if blueprint not in NAMES:
        return None
    return _digest(project_dir, f"template\0{environment}\0{stack}\0{blueprint}")


def remembered(project_dir: str | Path, what: str, compute: Callable[[], str]) -> str:
    """`compute()`, a value made only from the package's code and the project's files, kept
    under their digest and `what` (which names the value: its kind, environment, ...)."""
    found_key = _digest(project_dir, what)
    value = read(found_key)
    if value is None:
        value = compute()
        write(found_key, value)
    return value


def _digest(project_dir: str | Path, what: str) -> str:
    root = Path(project_dir).resolve()
    digest = hashlib.sha256(_code_digest())
    digest.update(what.encode() + b"\0")
    digest.update(_files_digest(root, _stamp(root)))
    return digest.hexdigest()


def _stamp(root: Path) -> tuple[tuple[str, int, int], ...]:
    """Path, modification time and size of the project's files (links followed)."""
    found = []
    for folder in _PROJECT_FOLDERS:
        for path in sorted((root / folder).rglob("*")):
            with contextlib.suppress(OSError):  # a dangling link: the render reports it
                stat = path.stat()
                if path.is_file():
                    found.append((str(path.relative_to(root)), stat.st_mtime_ns, stat.st_size))
    return tuple(found)


@functools.lru_cache(maxsize=8)
def _files_digest(root: Path, stamp: tuple[tuple[str, int, int], ...]) -> bytes:
    """The project's configuration files, read once per process and version of them (Sceptre
    asks for every stack's template)."""
    digest = hashlib.sha256()
    for relative, _, _ in stamp:
        with contextlib.suppress(OSError):
            digest.update(relative.encode() + b"\0" + (root / relative).read_bytes() + b"\0")
    return digest.digest()


def read(found_key: str | None) -> str | None:
    place = directory()
    if found_key is None or place is None:
        return None
    path = place / f"{found_key}.json"
    with contextlib.suppress(OSError, UnicodeDecodeError):
        template = path.read_text(encoding="utf-8")
        with contextlib.suppress(OSError):
            os.utime(path)  # used now: eviction goes by modification time
        return template
    return None


def write(found_key: str | None, template: str) -> None:
    """Keeps a rendered template, whole or not at all (written aside, then renamed)."""
    place = directory()
    if found_key is None or place is None:
        return
    with contextlib.suppress(OSError):
        place.mkdir(mode=0o700, parents=True, exist_ok=True)  # what launches deploy: the user's alone
        handle, staged = tempfile.mkstemp(dir=place, prefix=f".{found_key[:12]}-")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as file:
                file.write(template)
            os.replace(staged, place / f"{found_key}.json")
        except OSError:
            Path(staged).unlink(missing_ok=True)
            raise
        evict(place)


def evict(place: Path, max_bytes: int | None = None) -> list[Path]:
    """Over `max_bytes` (MAX_BYTES), remove the entries used longest ago until the rest take
    _EVICT_TO of it, and staged files abandoned mid-write; what was removed."""
    limit = MAX_BYTES if max_bytes is None else max_bytes
    entries: list[tuple[float, int, Path]] = []
    removed: list[Path] = []
    now = time.time()
    for path in place.iterdir():
        with contextlib.suppress(OSError):  # another process may evict it first
            stat = path.stat()
            if path.name.startswith(".") and now - stat.st_mtime > _ABANDONED_SECONDS:
                path.unlink()
                removed.append(path)
            elif path.suffix == ".json":
                entries.append((stat.st_mtime, stat.st_size, path))
    total = sum(size for _, size, _ in entries)
    if total <= limit:
        return removed
    for _, size, path in sorted(entries):
        if total <= limit * _EVICT_TO:
            break
        with contextlib.suppress(OSError):
            path.unlink()
            removed.append(path)
        total -= size
    return removed

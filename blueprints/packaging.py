"""Lambda packages: deterministic zips, content-addressed, built outside `build()`.

The same source (and the same pinned requirements) always gives the same bytes: entries
sorted, timestamps and permissions fixed, caches left out. The object key is the zip's
SHA-256, so unchanged code means an unchanged `<Function>CodeKey` parameter and no
stack update.
"""

from __future__ import annotations

import hashlib
import io
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from blueprints.functions import ARCHITECTURE, RUNTIME

ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)  # the earliest date a zip entry can carry
_SKIP_DIRS = {"__pycache__", ".pytest_cache", ".mypy_cache"}
_SKIP_SUFFIXES = {".pyc", ".pyo"}
_PLATFORMS = {"arm64": "manylinux2014_aarch64", "x86_64": "manylinux2014_x86_64"}


@dataclass(frozen=True)
class Package:
    """A built function package."""

    name: str
    content: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()

    @property
    def key(self) -> str:
        """Content-addressed object key in the artifacts bucket."""
        return f"functions/{self.name}/{self.sha256}.zip"


def _files(root: Path) -> list[tuple[str, Path]]:
    found = []
    for path in root.rglob("*"):
        relative = path.relative_to(root)
        if path.is_file() and not (_SKIP_DIRS & set(relative.parts)) and path.suffix not in _SKIP_SUFFIXES:
            found.append((relative.as_posix(), path))
    return sorted(found)


def zip_directories(*roots: Path | tuple[Path, str]) -> bytes:
    """One zip of the files under `roots`, byte-stable. A root given as (path, prefix) is
    placed under that prefix; later roots win on equal paths."""
    entries: dict[str, Path] = {}
    for root in roots:
        path, prefix = root if isinstance(root, tuple) else (root, "")
        entries.update({prefix + name: file for name, file in _files(path)})
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name in sorted(entries):
            info = zipfile.ZipInfo(name, date_time=ZIP_EPOCH)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, entries[name].read_bytes(), compresslevel=9)
    return buffer.getvalue()


def install_requirements(requirements: Path, target: Path) -> None:
    """Install pinned requirements as wheels for the Lambda runtime and architecture."""
    python_version = RUNTIME.removeprefix("python")
    subprocess.run(  # noqa: S603 - fixed argv
        [
            sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
            "--no-compile", "--only-binary=:all:", "--implementation", "cp",
            "--python-version", python_version, "--platform", _PLATFORMS[ARCHITECTURE],
            "--target", str(target), "--requirement", str(requirements),
        ],
        check=True,
    )  # fmt: skip


def build_package(source: Path, shared: tuple[Path, ...] = (), cache: Path | None = None) -> Package:
    """Zip a function directory with the `shared` packages (each under its own name) and
    its `requirements.txt` installed for Lambda. Installed requirements are kept in
    `cache`, keyed by the requirements' content and the target platform."""
    if not (source / "handler.py").is_file():
        raise FileNotFoundError(f"{source} has no handler.py")
    roots: list[Path | tuple[Path, str]] = [(s, f"{s.name}/") for s in shared]
    requirements = source / "requirements.txt"
    text = requirements.read_text() if requirements.is_file() else ""
    if not [line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]:
        return Package(source.name, zip_directories(*roots, source))
    key = hashlib.sha256(f"{RUNTIME} {ARCHITECTURE}\n{text}".encode()).hexdigest()[:24]
    with tempfile.TemporaryDirectory() as scratch:
        target = cache / key if cache is not None else Path(scratch) / key
        if not target.is_dir():
            partial = Path(scratch) / "install"
            install_requirements(requirements, partial)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(partial, target)  # complete installs only: a failed one leaves nothing
        return Package(source.name, zip_directories(target, *roots, source))

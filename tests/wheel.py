"""The package as another team gets it: the wheel built from a clean copy of the source and
installed with the `[sceptre]` extra into a fresh virtual environment, with the example
project (examples/orders) installed on top. Built once per test session (the `installed_wheel`
fixture): the install test checks the environment, the example's launch test uses it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def source_files() -> list[str]:
    """What a clone holds: tracked files and new ones not ignored (the tree as committed)."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        capture_output=True,
        check=True,
        cwd=ROOT,
    ).stdout.decode()
    return sorted({name for name in listed.split("\0") if name and os.path.lexists(ROOT / name)})


def tree(root: Path) -> dict[str, int]:
    return {str(p.relative_to(root)): p.lstat().st_size for p in sorted(root.rglob("*"))}


@dataclass
class InstalledWheel:
    workdir: Path
    source: Path = field(init=False)
    venv: Path = field(init=False)
    source_before: dict[str, int] = field(init=False, default_factory=dict)  # before building
    source_after: dict[str, int] = field(init=False, default_factory=dict)  # after installing
    env: dict[str, str] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        self.source = self.workdir / "source"
        self.venv = self.workdir / "venv"
        self.env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "VIRTUAL_ENV"}}

    @property
    def python(self) -> Path:
        return self.venv / "bin" / "python"

    @property
    def sceptre(self) -> Path:
        return self.venv / "bin" / "sceptre"

    @property
    def example(self) -> Path:
        return self.source / "examples" / "orders"

    def run(self, *argv: str | Path, cwd: Path | None = None) -> str:
        """Run a command in the installing environment; a failure shows its output."""
        result = subprocess.run(
            [str(a) for a in argv],
            capture_output=True,
            text=True,
            cwd=cwd or self.workdir,
            env=self.env,
            timeout=300,
            check=False,
        )
        if result.returncode != 0:
            raise AssertionError(f"{' '.join(map(str, argv))} failed:\n{result.stdout}{result.stderr}")
        return result.stdout

    def pip(self, *argv: str | Path) -> str:
        return self.run(sys.executable, "-m", "pip", "--disable-pip-version-check", "--quiet", *argv)

    def install(self) -> InstalledWheel:
        for name in source_files():
            target = self.source / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, target, follow_symlinks=False)
        self.source_before = tree(self.source)
        self.pip("wheel", "--no-deps", "--wheel-dir", self.workdir / "dist", self.source)
        (wheel,) = (self.workdir / "dist").glob("payments_blueprints-*.whl")
        # This interpreter's pip installs into the new environment: faster than ensurepip.
        self.run(sys.executable, "-m", "venv", "--without-pip", self.venv)
        constraints = ROOT / "constraints.txt"
        self.pip("--python", self.python, "install", "--no-compile", "-c", constraints, f"{wheel}[sceptre]")
        # Another team's project on top of the wheel, with its own test runner.
        self.pip("--python", self.python, "install", "--no-compile", "-c", constraints, self.example, "pytest")
        self.source_after = tree(self.source)
        return self

"""Generate the typed Python client of the API (examples/payments_client) from
docs/openapi.json with openapi-python-client, or (--write) refresh it there. A test keeps
that package equal to what this generates.

The generator lives in .venv-apitest (its own dependencies beside schemathesis, away from
Sceptre's pins); its output is formatted by that environment's ruff, with settings given here
rather than found in the tree, so where it is generated does not change what it is.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from scripts.openapi import DOCUMENT, ROOT

PACKAGE = ROOT / "examples" / "payments_client"
TOOLS = ROOT / ".venv-apitest" / "bin"
_RUFF = "ruff {} --isolated --line-length 120 ."
CONFIG = {
    "post_hooks": [_RUFF.format("check --fix-only --extend-select I"), _RUFF.format("format")],
    "literal_enums": True,  # `status: Literal["RECORDED"]`, not a one-member Enum class
}


def generate(into: Path) -> None:
    """Write the client package (no project metadata) to `into`, which must not exist."""
    generator = TOOLS / "openapi-python-client"
    if not generator.exists():
        raise SystemExit(f"{generator} is missing: run `make report` (it installs .venv-apitest)")
    with tempfile.TemporaryDirectory() as scratch:
        config = Path(scratch) / "config.json"
        config.write_text(json.dumps(CONFIG))
        command = [str(generator), "generate", "--path", str(DOCUMENT), "--meta", "none", "--config", str(config)]
        done = subprocess.run(  # noqa: S603 - the project's own tool and paths
            [*command, "--output-path", str(into)],
            capture_output=True,
            text=True,
            check=False,
            cwd=scratch,
            env={**os.environ, "PATH": f"{TOOLS}{os.pathsep}{os.environ.get('PATH', '')}"},  # the hooks' ruff
        )
    if done.returncode != 0 or "Warning" in done.stdout or not (into / "__init__.py").exists():
        raise SystemExit(f"openapi-python-client failed:\n{done.stdout}{done.stderr}")


def files(package: Path) -> dict[str, str]:
    """Relative path -> text of every source file of a generated package."""
    return {str(p.relative_to(package)): p.read_text() for p in sorted(package.rglob("*.py"))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--write", action="store_true", help=f"rewrite {PACKAGE.relative_to(ROOT)}")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        made = Path(scratch) / PACKAGE.name
        generate(made)
        if not args.write:
            print("\n".join(files(made)))
            return
        shutil.rmtree(PACKAGE, ignore_errors=True)
        shutil.copytree(made, PACKAGE, ignore=shutil.ignore_patterns("__pycache__", ".ruff_cache"))
    print(f"wrote {PACKAGE.relative_to(ROOT)}")


if __name__ == "__main__":
    main()

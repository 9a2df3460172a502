"""mypy --strict over every function's code as Lambda runs it: each package's layout rebuilt from
its `!function_package` parameter (the handler at the root, each shared folder as a top-level
package under its own name), and checked from its handler, following its imports. So
`from contract import ...` is checked against the contract that zip carries, and importing what
the zip lacks is an error.

Each function is checked on its own: every package's entry point is a top-level `handler`.

    python -m scripts.typecheck_functions
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
from pathlib import Path

import yaml
from mypy import api

ROOT = Path(__file__).resolve().parent.parent
PROJECT = ROOT / "sceptre_project"


def _tagged(node: yaml.Node, tag: str) -> list[yaml.MappingNode]:
    """The mappings tagged `tag` in a composed YAML document (no constructor runs: the stack
    files' other tags need none)."""
    if isinstance(node, yaml.MappingNode):
        found = [node] if node.tag == tag else []
        return found + [inner for _, value in node.value for inner in _tagged(value, tag)]
    if isinstance(node, yaml.SequenceNode):
        return [inner for value in node.value for inner in _tagged(value, tag)]
    return []


def _scalars(node: yaml.Node) -> list[str]:
    if isinstance(node, yaml.SequenceNode):
        return [str(item.value) for item in node.value if isinstance(item, yaml.ScalarNode)]
    return [str(node.value)] if isinstance(node, yaml.ScalarNode) else []


def function_packages(project: Path = PROJECT) -> dict[str, tuple[Path, tuple[Path, ...]]]:
    """Every `!function_package` parameter of the project's stacks: name -> (source, shared)."""
    packages: dict[str, tuple[Path, tuple[Path, ...]]] = {}
    for stack_file in sorted((project / "stacks").glob("*.yaml")):
        document = yaml.compose(re.sub(r"{{.*?}}", "jinja", stack_file.read_text()), Loader=yaml.SafeLoader)
        for package in _tagged(document, "!function_package") if document is not None else []:
            arguments = {str(key.value): _scalars(value) for key, value in package.value}
            source = (project / arguments["source"][0]).resolve()
            packages[source.name] = (
                source,
                tuple((project / folder).resolve() for folder in arguments.get("shared", [])),
            )
    if not packages:
        raise SystemExit(f"no !function_package parameter in {project / 'stacks'}")
    return packages


def check(name: str, source: Path, shared: tuple[Path, ...], cache: Path) -> tuple[int, str]:
    """mypy's exit status and report for one package, its paths given as in the repository."""
    with tempfile.TemporaryDirectory() as scratch:
        layout = Path(scratch) / name
        layout.mkdir()
        links = {layout / "handler.py": source / "handler.py"}
        links.update({layout / folder.name: folder for folder in shared})
        for link, target in links.items():
            link.symlink_to(target)
        before = os.environ.get("MYPYPATH")
        os.environ["MYPYPATH"] = str(layout)  # where the handler's imports are found, as in Lambda
        try:
            report, errors, status = api.run(
                [
                    "--strict", "--explicit-package-bases", "--cache-dir", str(cache / name),
                    "--config-file", str(ROOT / "pyproject.toml"), str(layout / "handler.py"),
                ]
            )  # fmt: skip
        finally:  # mypy runs in this process: leave its environment as it was
            if before is None:
                del os.environ["MYPYPATH"]
            else:
                os.environ["MYPYPATH"] = before
        for link, target in links.items():
            report = report.replace(str(link), str(target.relative_to(ROOT) if target.is_relative_to(ROOT) else target))
        return status, report + errors


def main() -> int:
    cache = ROOT / ".mypy_cache" / "functions"
    failed = 0
    for name, (source, shared) in function_packages().items():
        status, report = check(name, source, shared, cache)
        print(f"{name}: {report.strip()}")
        failed += status != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

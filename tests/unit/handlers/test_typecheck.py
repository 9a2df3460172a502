"""The functions' type check (make typecheck) checks each package as its zip lays it out."""

from __future__ import annotations

import os
from pathlib import Path

from scripts.typecheck_functions import ROOT, check, function_packages


def test_every_function_package_is_found_with_its_shared_folders() -> None:
    packages = function_packages()
    assert set(packages) == {"payment_processor", "session_manager", "secret_rotator"}
    for source, shared in packages.values():
        assert (source / "handler.py").is_file()
        assert ROOT / "lambda_code" / "common" in shared
    # The rotator serves no route: its zip carries no API contract.
    assert ROOT / "blueprints" / "contract" not in packages["secret_rotator"][1]
    assert ROOT / "blueprints" / "contract" in packages["payment_processor"][1]


def _package(tmp_path: Path, handler: str) -> tuple[Path, tuple[Path, ...]]:
    source, shared = tmp_path / "fn", tmp_path / "helpers"
    source.mkdir()
    shared.mkdir()
    (source / "handler.py").write_text(handler)
    (shared / "__init__.py").write_text("")
    (shared / "text.py").write_text("def shout(words: str) -> str:\n    return words.upper()\n")
    return source, (shared,)


def test_a_handler_importing_what_its_zip_lacks_fails(tmp_path: Path) -> None:
    source, _ = _package(tmp_path, "from contract import PATTERNS\n")
    status, report = check("fn", source, (), tmp_path / "cache")
    assert status == 1
    assert "import-not-found" in report
    assert str(source / "handler.py") in report  # the file as it is in the repository, not the layout
    assert "MYPYPATH" not in os.environ  # mypy ran in this process: its search path is not left behind


def test_a_shared_folder_is_importable_under_its_own_name_and_checked_strictly(tmp_path: Path) -> None:
    good = "from helpers.text import shout\n\n\ndef handler(event: dict[str, str], context: object) -> str:\n"
    source, shared = _package(tmp_path, good + "    return shout(event['name'])\n")
    assert check("fn", source, shared, tmp_path / "cache")[0] == 0

    (source / "handler.py").write_text(good + "    return shout(1)\n")
    status, report = check("fn", source, shared, tmp_path / "cache")
    assert status == 1
    assert "arg-type" in report

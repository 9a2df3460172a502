"""Where the project's files are, for the host-side tooling (standard library only)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]  # the project's checkout
PROJECT_DIR = ROOT / "sceptre_project"  # the Sceptre project: every environment's stacks
LAMBDA_CODE = ROOT / "lambda_code"  # the handlers and their shared package

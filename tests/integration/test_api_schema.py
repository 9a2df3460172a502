"""Property-based API tests generated from the OpenAPI document (schemathesis), against the
launched prod environment on the local front door (its stage admits 500 requests a second,
so the generated requests are not throttled; throttling is tested on dev): no server error,
and every answer is a documented status with a body that matches its documented schema."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from local_aws.client.callers import Environment
from scripts.openapi import DOCUMENT

ROOT = Path(__file__).resolve().parents[2]
SCHEMATHESIS = ROOT / ".venv-apitest" / "bin" / "schemathesis"
CHECKS = ",".join(
    (
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_schema_conformance",
        "ignored_auth",  # each operation is also sent without the token: it must be refused
    )
)


@pytest.mark.parametrize("caller", ["customer", "back office"])
def test_generated_requests_get_documented_answers(launched, emulator, tmp_path, caller):
    if not SCHEMATHESIS.exists():
        pytest.fail(f"schemathesis is missing ({SCHEMATHESIS}): run the tests through `make test`")
    prod = Environment("prod", emulator)
    token = prod.customer_token("schemathesis") if caller == "customer" else prod.client_token("schemathesis")
    run = subprocess.run(
        [
            str(SCHEMATHESIS), "run", str(DOCUMENT), "--url", prod.url,
            "--header", f"Authorization: Bearer {token}",
            "--checks", CHECKS,
            "--max-examples", "25", "--generation-deterministic",
            "--phases", "examples,coverage,fuzzing",
            "--no-color",
            "--report", "junit", "--report-dir", str(tmp_path),
        ],
        capture_output=True, text=True, timeout=600, check=False, cwd=tmp_path,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
    assert "No issues found" in run.stdout or "passed" in run.stdout.lower(), run.stdout[-3000:]

"""The example project in examples/orders uses the library as another team would: its own
blueprint made of building blocks, registered by entry point, beside a subset of the
library's stacks. Its own tests pass, and Sceptre renders it with the library's plugins."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT

EXAMPLE = ROOT / "examples" / "orders"
SCEPTRE = Path(sys.executable).parent / "sceptre"


def test_the_example_projects_own_tests_pass():
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(EXAMPLE / "tests")],
        capture_output=True, text=True, check=False, cwd=EXAMPLE,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert " passed" in run.stdout and "failed" not in run.stdout


def test_sceptre_renders_the_example_with_its_registered_blueprint():
    run = subprocess.run(
        [str(SCEPTRE), "--dir", str(EXAMPLE / "sceptre"), "--output", "json", "generate", "dev"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-3000:]
    templates, text, decoder = [], run.stdout.strip(), json.JSONDecoder()
    while text:  # one JSON document per stack
        template, end = decoder.raw_decode(text)
        templates.append(template)
        text = text[end:].strip()
    assert sorted(t["Description"].split(": ")[1] for t in templates) == [
        "Orders table, exports bucket and the order reader",
        "S3 buckets for API logs and Lambda artifacts",
        "VPC, subnets, NAT, security groups, VPC endpoints and flow logs",
    ]
    (orders,) = [t for t in templates if "OrdersTable" in t["Resources"]]
    assert orders["Resources"]["OrdersTable"]["Properties"]["TableName"] == "orders-dev-orders"

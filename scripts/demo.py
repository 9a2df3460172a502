"""Launch an environment on the local AWS emulator and show that it works.

    python scripts/demo.py --env dev

Starts the emulator (or reuses the running one), runs `sceptre launch` with its progress
visible, prints every stack's outputs, reports anything the emulator did not create,
sends a sample payment and session through the deployed handlers, and says how to reach
and stop the emulator. Running it again launches nothing new.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import uuid

from local_aws import control
from local_aws.launched import LaunchedEnvironment, api_event, sceptre_launch


def show_outputs(env: LaunchedEnvironment) -> None:
    print(f"\n== {env.name}: stack outputs\n")
    width = max(len(k) for s in env.stacks.values() for k in s.outputs)
    for name, stack in env.stacks.items():
        print(f"{name} ({stack.rendered.external_name}, {stack.rendered.region}, {stack.status})")
        for key, value in sorted(stack.outputs.items()):
            print(f"  {key:<{width}}  {value}")


def show_requests(env: LaunchedEnvironment) -> bool:
    print("\n== sample requests through the deployed handlers (run in-process)\n")
    payment = {"customerId": "cust-0001", "amount": "12.50", "currency": "EUR", "description": "demo"}
    key = {"Idempotency-Key": f"demo-{uuid.uuid4()}"}
    first = _request(env, "payment-processor", api_event("POST", "/payments", payment, headers=key), 201)
    retry = _request(env, "payment-processor", api_event("POST", "/payments", payment, headers=key), 201, "retry")
    ok = first is not None and retry == first
    if first is not None:
        transaction = str(first["transactionId"])
        read = api_event("GET", "/payments/{transactionId}", transactionId=transaction)
        ok &= _request(env, "payment-processor", read, 200) == first
        listing = api_event("GET", "/customers/{customerId}/payments", customerId="cust-0001", query={"limit": "5"})
        ok &= _request(env, "payment-processor", listing, 200) is not None
    refused = {**payment, "amount": "12.345"}
    ok &= _request(env, "payment-processor", api_event("POST", "/payments", refused, headers=key), 400) is not None
    ok &= _request(env, "session-manager", api_event("POST", "/sessions", {"customerId": "cust-0001"}), 201) is not None
    return bool(ok)


def _request(
    env: LaunchedEnvironment, function: str, event: dict[str, object], expected: int, note: str = ""
) -> dict | None:
    """Send one request, print it and its response; the parsed body if the status is `expected`."""
    response = env.invoke(function, event)
    label = f"{event['httpMethod']} {event['path']}" + (f" ({note})" if note else "")
    print(f"{label} -> {response['statusCode']}  {response['body']}")
    return json.loads(response["body"]) if response["statusCode"] == expected else None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--env", default="dev", help="environment to launch (default dev)")
    args = parser.parse_args()

    emulator = control.start()
    print(f"local AWS emulator at {emulator.url} (pid {emulator.pid}), fake credentials, no account needed")
    print(f"\n== sceptre launch {args.env} (against {emulator.url})\n", flush=True)
    if sceptre_launch(emulator, args.env, capture=False).returncode != 0:
        print(f"\nlaunch of {args.env} failed: the failing stack and its reason are in the log above", file=sys.stderr)
        return 1

    os.environ.update(emulator.environment())
    os.environ["POWERTOOLS_LOG_LEVEL"] = "WARNING"  # the handlers' JSON logs would bury the responses
    env = LaunchedEnvironment(args.env)
    show_outputs(env)
    gaps = env.gaps()
    if gaps:
        print("\n== NOT emulated (the launch says so rather than hiding it):")
        print("\n".join(f"  {gap}" for gap in gaps))
    requests_ok = show_requests(env)

    print(
        f"""
== the emulator keeps running
  point any AWS tool at it:  eval "$(.venv/bin/python -m local_aws.control env)"
  e.g.                       aws --region {env.region()} cloudformation describe-stacks
  launch again (no change):  make demo ENV={args.env}
  stop it (state is lost):   make emulator-stop"""
    )
    return 0 if requests_ok and not gaps else 1


if __name__ == "__main__":
    sys.exit(main())

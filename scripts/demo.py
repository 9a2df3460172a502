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
    steps = [
        ("payment-processor", api_event("POST", "/payments", payment, headers=key), 201),
        ("payment-processor", api_event("POST", "/payments", payment, headers=key), 201),  # a retry: same payment
        ("session-manager", api_event("POST", "/sessions", {"customerId": "cust-0001"}), 201),
    ]
    ok = True
    for function, event, expected in steps:
        response = env.invoke(function, event)
        print(f"{event['httpMethod']} {event['path']} -> {response['statusCode']}  {response['body']}")
        ok &= response["statusCode"] == expected
        if response["statusCode"] == expected and event["path"] == "/payments":
            created = json.loads(response["body"])["transactionId"]
            read = env.invoke("payment-processor", api_event("GET", "/payments/{transactionId}", transactionId=created))
            print(f"GET /payments/{created} -> {read['statusCode']}  {read['body']}")
            ok &= read["statusCode"] == 200
    return ok


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

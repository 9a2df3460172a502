"""Launch an environment on the local AWS emulator and show that it works.

    python scripts/demo.py --env dev

Starts the emulator (or reuses the running one), runs `sceptre launch` with its progress
visible, prints every stack's outputs, reports anything the emulator did not create,
sends sample requests over HTTP with customers' and a back-office client's tokens through
the local front door (API Gateway's steps, then the deployed function package), and says
how to reach and stop the emulator. Running it again launches nothing new.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import uuid
from collections.abc import Mapping
from typing import Any

from blueprints.contract import BACKOFFICE_READ
from blueprints.core import ConfigError
from blueprints.deploy.accounts import BootstrapError, WrongAccountError
from blueprints.project import load_project
from blueprints.stacks.edge import EDGE_REGION
from local_aws.client import control
from local_aws.client.accounts import bootstrap_account
from local_aws.client.callers import Environment, Reply, claims, send
from local_aws.client.launched import LaunchedEnvironment, sceptre_launch
from local_aws.client.paths import PROJECT_DIR


def show_outputs(env: LaunchedEnvironment) -> None:
    print(f"\n== {env.name}: stack outputs\n")
    width = max(len(k) for s in env.stacks.values() for k in s.outputs)
    for name, stack in env.stacks.items():
        print(f"{name} ({stack.rendered.external_name}, {stack.rendered.region}, {stack.status})")
        for key, value in sorted(stack.outputs.items()):
            print(f"  {key:<{width}}  {value}")


def show_monitoring(env: LaunchedEnvironment) -> None:
    """The environment's alarms (threshold and whom they tell) and its dashboard."""
    print(f"\n== {env.name}: alarms and dashboard\n")
    for region in sorted({env.region(), EDGE_REGION}):
        described = env.client("cloudwatch", region).describe_alarms(AlarmTypes=["MetricAlarm", "CompositeAlarm"])
        print("\n".join(alarm_lines(region, described)))
    name = env.output("monitoring", "DashboardName")
    widgets = json.loads(env.client("cloudwatch").get_dashboard(DashboardName=name)["DashboardBody"])["widgets"]
    print(f"\n  dashboard {name}: {sum(w['type'] == 'metric' for w in widgets)} graphs")


# Application Auto Scaling's target tracking makes (and deletes) alarms of its own for each
# scaling policy, on AWS as on the emulator: TargetTracking-<resource>-AlarmHigh-<uuid>, ...
TARGET_TRACKING = "TargetTracking-"
_TRACKING_SUFFIX = re.compile(r"-[A-Za-z]+-[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12}$")


def alarm_lines(region: str, described: Mapping[str, Any]) -> list[str]:
    """A region's `describe_alarms` answer as the demo lists it: one line per alarm of the
    project (its threshold and the topics it tells) and per composite alarm (how many it
    watches); the alarms target tracking made for itself in one line, with their count."""
    lines, tracking = [], []
    for alarm in described.get("MetricAlarms", []):
        if alarm["AlarmName"].startswith(TARGET_TRACKING):
            tracking.append(alarm["AlarmName"])
            continue
        told = ", ".join(a.rpartition(":")[2] for a in alarm.get("AlarmActions", [])) or "-"
        statistic = alarm.get("ExtendedStatistic") or alarm.get("Statistic") or "expression"
        lines.append(
            f"  {region:<10} {alarm['AlarmName']:<52} {statistic} {_operator(alarm['ComparisonOperator'])} "
            f"{alarm['Threshold']:g} -> {told}"
        )
    for alarm in described.get("CompositeAlarms", []):
        told = ", ".join(a.rpartition(":")[2] for a in alarm.get("AlarmActions", []))
        members = alarm["AlarmRule"].count("ALARM(")
        lines.append(f"  {region:<10} {alarm['AlarmName']:<52} any of {members} alarms -> {told}")
    if tracking:
        targets = {_TRACKING_SUFFIX.sub("", name.removeprefix(TARGET_TRACKING)) for name in tracking}
        lines.append(
            f"  {region:<10} {TARGET_TRACKING + '*':<52} {len(tracking)} alarms of auto scaling's target tracking "
            f"for {len(targets)} scalable {'target' if len(targets) == 1 else 'targets'} (its own, not the project's)"
        )
    return lines


def _operator(comparison: str) -> str:
    return {"GreaterThanOrEqualToThreshold": ">=", "GreaterThanThreshold": ">"}.get(comparison, comparison)


def show_requests(env: Environment) -> bool:
    """Sample requests over HTTP through the front door, as a client sends them; True if
    every answer is the one expected."""
    print(f"\n== sample requests over HTTP to {env.url}\n")
    alice, bob = env.customer_token("alice"), env.customer_token("bob")
    reader = env.client_token("reporting")
    alice_id = claims(alice)["sub"]
    print(f"tokens: customers alice ({alice_id}) and bob; back-office client 'reporting' ({BACKOFFICE_READ})\n")
    payment = {"amount": "12.50", "currency": "EUR", "description": "demo"}
    key = {"Idempotency-Key": f"demo-{uuid.uuid4()}"}
    checks: list[object] = [  # each a reply as expected (None if not), or a check's truth
        _show("no token", send("POST", f"{env.url}/payments", payment, headers=key), 401),
    ]
    first = _show("alice pays", send("POST", f"{env.url}/payments", payment, token=alice, headers=key), 201)
    retry = _show("alice retries", send("POST", f"{env.url}/payments", payment, token=alice, headers=key), 201)
    checks += [first, retry, first is not None and retry is not None and first.json == retry.json]
    if first is not None:
        own = f"{env.url}/payments/{first.json['transactionId']}"
        listing = f"{env.url}/customers/{alice_id}/payments?limit=5"
        checks += [
            _show("alice reads it", send("GET", own, token=alice), 200),
            _show("bob reads it (as unknown)", send("GET", own, token=bob), 404),
            _show("alice lists hers", send("GET", listing, token=alice), 200),
            _show("bob lists alice's", send("GET", listing, token=bob), 403),
            _show("the back office lists alice's", send("GET", listing, token=reader), 200),
            _show("the back office pays", send("POST", f"{env.url}/payments", payment, token=reader, headers=key), 401),
        ]
    checks += [
        _show("no Idempotency-Key", send("POST", f"{env.url}/payments", payment, token=alice), 400),
        _show(
            "an unknown field", send("POST", f"{env.url}/payments", {**payment, "x": 1}, token=alice, headers=key), 400
        ),
        _show("alice starts a session", send("POST", f"{env.url}/sessions", {}, token=alice), 201),
        # Around CloudFront, straight to the stage: its web ACL refuses it before any function.
        _show("alice skips CloudFront", send("POST", f"{env.direct_url}/sessions", {}, token=alice), 403),
    ]
    return all(c is not None and c is not False for c in checks)


def _show(label: str, reply: Reply, expected: int) -> Reply | None:
    """Print one exchange; the reply if its status is `expected`."""
    mark = "ok" if reply.status == expected else f"UNEXPECTED (wanted {expected})"
    print(f"{label:<32} -> {reply.status}  {reply.text[:150]}  [{mark}]")
    return reply if reply.status == expected else None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--env", default="dev", help="environment to launch (default dev)")
    args = parser.parse_args()

    emulator = control.start()
    print(f"local AWS emulator at {emulator.url} (pid {emulator.pid}), fake credentials, no account needed")
    os.environ.update(emulator.environment())
    try:
        env_settings = load_project(PROJECT_DIR).environment(args.env)
        account = env_settings.settings.account_id
        print(f"\n== bootstrap {args.env}'s account {account} (as its administrator)\n", flush=True)
        bootstrap_account(emulator, args.env, log=print)
    except (ConfigError, BootstrapError, WrongAccountError) as err:
        print(f"\nbootstrap of {args.env} failed: {err}", file=sys.stderr)
        return 1
    print(
        f"\n== sceptre launch {args.env} (against {emulator.url}, as {env_settings.settings.deployers[0]} through "
        f"{args.env}'s deploy role)\n",
        flush=True,
    )
    if sceptre_launch(emulator, args.env, capture=False).returncode != 0:
        print(f"\nlaunch of {args.env} failed: the failing stack and its reason are in the log above", file=sys.stderr)
        return 1

    launched = LaunchedEnvironment(args.env)
    show_outputs(launched)
    show_monitoring(launched)
    gaps = launched.gaps()
    if gaps:
        print("\n== NOT emulated (the launch says so rather than hiding it):")
        print("\n".join(f"  {gap}" for gap in gaps))
    env = Environment(args.env, emulator)
    requests_ok = show_requests(env)

    command = ".venv/bin/python -m local_aws.client.control"
    print(
        f"""
== the emulator keeps running
  the API:                   {command} url --env {args.env}
  a customer's token:        {command} token --env {args.env} --customer alice
  that customer's id:        {command} token --env {args.env} --customer alice --print-sub
  a back-office token:       {command} token --env {args.env} --client reporting
  point any AWS tool at it:  eval "$({command} env --env {args.env})"  ({account})
  e.g.                       aws --region {launched.region()} cloudformation describe-stacks
  launch again (no change):  make demo ENV={args.env}
  stop it (state is lost):   make emulator-stop"""
    )
    return 0 if requests_ok and not gaps else 1


if __name__ == "__main__":
    sys.exit(main())

"""Get one stack out of a state that no launch continues from (`make recover ENV= STACK=`).

What CloudFormation leaves, and what this does (as the environment's deploy role, the same
code against the emulator and a real account):

- `UPDATE_ROLLBACK_FAILED`: an update failed and so did its rollback (a resource changed or
  deleted outside CloudFormation, a dependency gone). `ContinueUpdateRollback` retries the
  rollback with the account's CloudFormation role; the resources named by `skip` are marked
  rolled back without being touched (they must then be put right by hand: the runbook says how).
- `UPDATE_IN_PROGRESS`: an update still running (a launch interrupted, a canary waiting):
  `CancelUpdateStack` rolls it back.
- Anything else is reported, not changed: `*_IN_PROGRESS` is waited for; a `ROLLBACK_COMPLETE`
  stack (its first create failed) is deleted and created again by the next launch; stacks that
  failed to delete are left to `make destroy` or to a person, since deleting data is never a
  recovery step.

Each step waits (bounded) for the stack to settle and prints the resources that failed, with
CloudFormation's reasons.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from blueprints.deploy.preflight import Call, CallFailed
from blueprints.deploy.rendering import RenderedStack
from blueprints.project.environment import Environment
from blueprints.stacks.bootstrap.settings import cloudformation_role_name, role_arn

# Statuses a launch can continue from (an update, or the next create after a delete).
SETTLED = frozenset({"CREATE_COMPLETE", "UPDATE_COMPLETE", "UPDATE_ROLLBACK_COMPLETE", "IMPORT_COMPLETE"})


class RecoveryFailed(RuntimeError):
    """The stack could not be brought back to a state a launch continues from; says why."""


@dataclass(frozen=True)
class Outcome:
    status: str  # the stack's status at the end
    actions: tuple[str, ...]  # what was done, e.g. ("ContinueUpdateRollback",)


def recover(
    env: Environment,
    stack: RenderedStack,
    call: Call,
    *,
    skip: tuple[str, ...] = (),
    log: Callable[[str], None] = print,
    timeout_seconds: float = 3600,
    poll_seconds: float = 10,
) -> Outcome:
    """Bring `stack` (rendered: its name and region) back to a settled state, if it is stuck."""
    name, region = stack.external_name, stack.region

    def status() -> str:
        try:
            (described,) = call("cloudformation", "describe_stacks", {"StackName": name}, region)["Stacks"]
        except CallFailed as err:
            if "does not exist" in str(err):
                return "(absent)"
            raise
        return str(described["StackStatus"])

    def settle(after: str) -> str:
        deadline = time.monotonic() + timeout_seconds
        current = status()
        while current.endswith("_IN_PROGRESS"):
            if time.monotonic() > deadline:
                raise RecoveryFailed(f"{stack.name}: {name} is still {current} after {timeout_seconds:.0f} s ({after})")
            time.sleep(poll_seconds)
            current = status()
        return current

    current = status()
    log(f"{stack.name}: {name} in {region} is {current}")
    actions: list[str] = []
    if current == "UPDATE_IN_PROGRESS":
        call("cloudformation", "cancel_update_stack", {"StackName": name}, region)
        actions.append("CancelUpdateStack")
        log(f"{stack.name}: cancelled the update; waiting for its rollback")
        current = settle("cancelling the update")
    elif current.endswith("_IN_PROGRESS"):
        log(f"{stack.name}: waiting for CloudFormation to finish")
        current = settle("waiting")
    if current == "UPDATE_ROLLBACK_FAILED":
        _report_failures(call, stack, log)
        params: dict[str, Any] = {
            "StackName": name,
            "RoleARN": role_arn(env.settings.account_id, cloudformation_role_name(env.context), region),
        }
        if skip:
            params["ResourcesToSkip"] = list(skip)
            log(f"{stack.name}: skipping {', '.join(skip)}: put them right by hand afterwards (see the runbook)")
        call("cloudformation", "continue_update_rollback", params, region)
        actions.append("ContinueUpdateRollback")
        log(f"{stack.name}: continuing the rollback")
        current = settle("continuing the rollback")
    if current in SETTLED or current == "(absent)":
        log(f"{stack.name}: {current}: a launch continues from here")
        return Outcome(current, tuple(actions))
    if current == "ROLLBACK_COMPLETE":
        log(f"{stack.name}: its first create rolled back: the next launch deletes and creates it again")
        return Outcome(current, tuple(actions))
    _report_failures(call, stack, log)
    hint = {
        "UPDATE_ROLLBACK_FAILED": "name the resources that cannot roll back with SKIP=<LogicalId>,... and run again",
        "ROLLBACK_FAILED": "its first create could not be rolled back: fix or delete the resources above, then "
        "delete the stack (it holds no data yet) and launch again",
        "DELETE_FAILED": "run `make destroy` again once the resources above can be deleted, or ask an administrator",
    }.get(current, "look at the stack's events in the CloudFormation console")
    raise RecoveryFailed(f"{stack.name}: {name} is {current}: {hint}")


def _report_failures(call: Call, stack: RenderedStack, log: Callable[[str], None]) -> None:
    """The resources whose last event failed, newest operation first, with their reasons."""
    events = call("cloudformation", "describe_stack_events", {"StackName": stack.external_name}, stack.region)
    seen: set[str] = set()
    for event in _events(events):
        logical_id = event["LogicalResourceId"]
        if logical_id in seen or logical_id == stack.external_name:
            continue
        seen.add(logical_id)
        if str(event["ResourceStatus"]).endswith("FAILED"):
            reason = event.get("ResourceStatusReason") or "no reason given"
            log(f"{stack.name}:   {logical_id} ({event['ResourceType']}) {event['ResourceStatus']}: {reason}")


def _events(answer: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return list(answer.get("StackEvents", []))  # newest first, as CloudFormation lists them

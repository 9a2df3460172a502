"""Teardown: every stack of an environment deleted, with its data, for environments whose
settings keep none (`make destroy ENV=dev`); refused, before any AWS call, where they do.

Stacks go in the reverse of their launch order (deepest level first, each level's stacks side
by side), and before a stack goes, what would make its deletion fail on AWS is cleared:

- its buckets are emptied of every object version and delete marker (S3 deletes only an
  empty bucket; a versioned one is never empty of versions by itself);
- the DNS validation records ACM wrote for its certificates are removed from the zone it holds
  (ACM leaves them when the certificate is deleted, and Route 53 deletes only a zone with no
  records but its SOA and NS);
- before the stack holding a VPC goes, Lambda's network interfaces in it are waited for
  (Lambda releases them minutes after their functions are deleted; until then EC2 refuses to
  delete the subnets and security groups they are in).

A stack already gone is skipped and one that failed to delete is tried again, so a run
interrupted or failed half-way is finished by running it again. A deletion that fails is
reported with the stack, its status reason and each failed resource with its reason.

`teardown(env, call, stacks)` makes its AWS calls through `call(service, operation, params,
region)` (blueprints.deploy.preflight's `Call`), so the same code runs against a real account and the
emulator; scripts/destroy.py acts through the environment's deploy role.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from blueprints.deploy.preflight import Call, CallFailed
from blueprints.deploy.rendering import RenderedStack, dependency_depth
from blueprints.project.environment import Environment

# Settings that keep data: a teardown would destroy what they exist to keep (or fail half-way).
RETAINED = ("Retain", "RetainExceptOnCreate")  # deletion policies that keep a resource of a completed stack
LAMBDA_INTERFACES = "AWS Lambda VPC ENI*"  # how Lambda describes the network interfaces it manages
ACM_VALIDATION_DOMAIN = ".acm-validations.aws."  # where ACM's DNS validation records point
DELETE_BATCH = 1000  # S3 DeleteObjects' limit
GONE = "DELETE_COMPLETE"
ATTEMPTS = 2  # a stack that fails is prepared and deleted once more (late log deliveries refill a bucket)


class TeardownRefused(RuntimeError):
    """The environment's settings keep data; nothing was touched."""


class TeardownFailed(RuntimeError):
    """A stack could not be deleted; the message names it, its reason and its failed resources."""


def refusal(env: Environment) -> str | None:
    """Why the environment's settings forbid a teardown (naming each setting and its file),
    or None when they keep no data."""
    kept = env.data_keeping_settings()
    if not kept:
        return None
    return (
        f"refusing to tear down {env.name!r}: its settings keep data ({', '.join(kept)} in "
        f"config/{env.name}/config.yaml), and a teardown deletes every stack with its tables, buckets and "
        "logs. Nothing was changed."
    )


@dataclass
class _Run:
    env: Environment
    call: Call
    log: Callable[[str], None]
    poll: float
    interfaces_timeout: float
    stack_timeout: float
    sleep: Callable[[float], None]
    clock: Callable[[], float]
    # Validation records of the environment's certificates, read before their stacks go.
    validation_records: set[tuple[str, str]] = field(default_factory=set)

    def described(self, stack: RenderedStack) -> dict[str, Any] | None:
        """The stack as CloudFormation describes it, or None when it does not exist."""
        try:
            found = self.call("cloudformation", "describe_stacks", {"StackName": stack.external_name}, stack.region)
        except CallFailed as err:
            if "does not exist" in str(err):
                return None
            raise
        described: dict[str, Any] = found["Stacks"][0]
        return None if described["StackStatus"] == GONE else described

    def resources(self, stack: RenderedStack, kind: str) -> list[str]:
        """Physical ids of the stack's resources of `kind` that its deletion deletes."""
        body = self.call("cloudformation", "get_template", {"StackName": stack.external_name}, stack.region)
        template = body["TemplateBody"]
        if isinstance(template, str):
            template = yaml.safe_load(template)  # JSON, or YAML as Sceptre sends it
        declared = template.get("Resources", {})
        ids = []
        for summary in self.pages(
            "cloudformation", "list_stack_resources", {"StackName": stack.external_name}, stack.region
        ):
            for resource in summary.get("StackResourceSummaries", []):
                logical = resource["LogicalResourceId"]
                if resource["ResourceType"] != kind or not resource.get("PhysicalResourceId"):
                    continue
                if declared.get(logical, {}).get("DeletionPolicy") in RETAINED:
                    continue
                ids.append(resource["PhysicalResourceId"])
        return ids

    def pages(
        self, service: str, operation: str, params: Mapping[str, Any], region: str
    ) -> Iterator[Mapping[str, Any]]:
        """Every page of an operation paged by NextToken."""
        token: str | None = None
        while True:
            page = self.call(service, operation, {**params, **({"NextToken": token} if token else {})}, region)
            yield page
            token = page.get("NextToken")
            if not token:
                return


def teardown(
    env: Environment,
    call: Call,
    stacks: Mapping[str, RenderedStack],
    *,
    log: Callable[[str], None] = print,
    poll: float = 5.0,
    interfaces_timeout: float = 45 * 60.0,
    stack_timeout: float = 60 * 60.0,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> list[str]:
    """Delete every stack of `env` (`stacks`: the environment's rendered stacks, for their
    names, regions and dependencies); the stacks this run deleted. `TeardownRefused` before
    any call where its settings keep data; `TeardownFailed` naming the stack that could not
    be deleted and why (the stacks of its level and below are left for the next run)."""
    refused = refusal(env)
    if refused:
        raise TeardownRefused(refused)
    run = _Run(env, call, log, poll, interfaces_timeout, stack_timeout, sleep, clock)
    depth = dependency_depth(dict(stacks))
    deleted: list[str] = []
    for level in sorted(set(depth.values()), reverse=True):
        names = sorted(name for name in stacks if depth[name] == level)
        deleted += _delete_level(run, [stacks[name] for name in names])
    log(f"{env.name}: every stack is gone ({len(deleted)} deleted by this run)")
    return deleted


def _delete_level(run: _Run, stacks: list[RenderedStack]) -> list[str]:
    """Prepare and delete the level's stacks side by side; wait until each is gone."""
    pending: dict[str, tuple[RenderedStack, str]] = {}  # stack -> (rendered, stack id)
    for stack in stacks:
        described = run.described(stack)
        if described is None:
            run.log(f"{stack.name}: {stack.external_name} is already gone")
            continue
        if described["StackStatus"] != "DELETE_IN_PROGRESS":
            _prepare(run, stack)
            _start_deletion(run, stack, described["StackStatus"])
        pending[stack.stack] = (stack, described["StackId"])
    failures = []
    for attempt in range(1, ATTEMPTS + 1):
        failed = _wait_until_gone(run, pending)
        if not failed:
            break
        if attempt == ATTEMPTS:
            failures = [_failure_report(run, *pending[name]) for name in failed]
            break
        for name in failed:
            stack, _ = pending[name]
            run.log(f"{stack.name}: {stack.external_name} failed to delete; clearing what it holds and trying again")
            _prepare(run, stack)
            _start_deletion(run, stack, "DELETE_FAILED")
        pending = {name: pending[name] for name in failed}
    if failures:
        raise TeardownFailed(
            "\n".join(failures)
            + f"\nFix what is named, then run `make destroy ENV={run.env.name}` again: stacks already gone are skipped."
        )
    return [stack.stack for stack, _ in pending.values()]


def _start_deletion(run: _Run, stack: RenderedStack, status: str) -> None:
    run.log(f"{stack.name}: deleting {stack.external_name} ({status}) in {stack.region}")
    try:
        run.call("cloudformation", "delete_stack", {"StackName": stack.external_name}, stack.region)
    except CallFailed as err:
        raise TeardownFailed(f"{stack.name}: {stack.external_name} cannot be deleted: {err}") from err


def _wait_until_gone(run: _Run, pending: Mapping[str, tuple[RenderedStack, str]]) -> list[str]:
    """Poll each stack (by id: a deleted stack stays visible as DELETE_COMPLETE) until it is
    gone or failed; the names of those that failed."""
    waiting = dict(pending)
    failed = []
    deadline = run.clock() + run.stack_timeout
    while waiting:
        for name, (stack, stack_id) in list(waiting.items()):
            found = run.call("cloudformation", "describe_stacks", {"StackName": stack_id}, stack.region)["Stacks"]
            status = found[0]["StackStatus"] if found else GONE
            if status == GONE:
                run.log(f"{stack.name}: {stack.external_name} deleted")
                del waiting[name]
            elif status == "DELETE_FAILED":
                failed.append(name)
                del waiting[name]
        if not waiting:
            break
        if run.clock() >= deadline:
            names = ", ".join(stack.external_name for stack, _ in waiting.values())
            raise TeardownFailed(
                f"{names} still deleting after {run.stack_timeout / 60:.0f} minutes: run `make destroy "
                f"ENV={run.env.name}` again later (it waits for stacks still being deleted)"
            )
        run.sleep(run.poll)
    return failed


def _failure_report(run: _Run, stack: RenderedStack, stack_id: str) -> str:
    """The stack, its status reason and each resource that failed in its latest attempt."""
    described = run.call("cloudformation", "describe_stacks", {"StackName": stack_id}, stack.region)["Stacks"][0]
    reason = described.get("StackStatusReason")
    resources = []
    for page in run.pages("cloudformation", "describe_stack_events", {"StackName": stack_id}, stack.region):
        events = page.get("StackEvents", [])  # newest first
        done = False
        for event in events:
            own = event["LogicalResourceId"] == stack.external_name
            if own and event["ResourceStatus"] == "DELETE_IN_PROGRESS":
                done = True  # the start of the latest attempt
                break
            if own and event["ResourceStatus"] == "DELETE_FAILED":
                reason = reason or event.get("ResourceStatusReason")
            elif event["ResourceStatus"] == "DELETE_FAILED":
                what = f"{event['ResourceType']} {event.get('PhysicalResourceId') or '-'}"
                why = event.get("ResourceStatusReason") or "no reason given"
                resources.append(f"  {event['LogicalResourceId']} ({what}): {why}")
        if done:
            break
    lines = [f"{stack.name}: {stack.external_name} is DELETE_FAILED in {stack.region}: {reason or 'no reason given'}"]
    return "\n".join(lines + (resources or ["  no resource reported a failure (see its events)"]))


# --- what would make a stack's deletion fail ----------------------------------------------------


def _prepare(run: _Run, stack: RenderedStack) -> None:
    for bucket in run.resources(stack, "AWS::S3::Bucket"):
        _empty_bucket(run, stack, bucket)
    for certificate in run.resources(stack, "AWS::CertificateManager::Certificate"):
        _read_validation_records(run, stack, certificate)
    for zone in run.resources(stack, "AWS::Route53::HostedZone"):
        _remove_validation_records(run, stack, zone)
    for vpc in run.resources(stack, "AWS::EC2::VPC"):
        _wait_for_lambda_interfaces(run, stack, vpc)


def _empty_bucket(run: _Run, stack: RenderedStack, bucket: str) -> None:
    """Delete every version and delete marker, a listing at a time, until none is left."""
    removed = 0
    while True:
        try:
            page = run.call("s3", "list_object_versions", {"Bucket": bucket}, stack.region)
        except CallFailed as err:
            if err.code == "NoSuchBucket":
                return
            raise
        versions = [
            {"Key": v["Key"], "VersionId": v["VersionId"]}
            for v in [*page.get("Versions", []), *page.get("DeleteMarkers", [])]
        ]
        if not versions:
            break
        for start in range(0, len(versions), DELETE_BATCH):
            batch = versions[start : start + DELETE_BATCH]
            answer = run.call(
                "s3", "delete_objects", {"Bucket": bucket, "Delete": {"Objects": batch, "Quiet": True}}, stack.region
            )
            errors = answer.get("Errors", [])
            if errors:
                first = errors[0]
                raise TeardownFailed(
                    f"{stack.name}: cannot empty bucket {bucket}: {len(errors)} version(s) not deleted, e.g. "
                    f"{first.get('Key')} ({first.get('VersionId')}): {first.get('Code')}: {first.get('Message')}"
                )
            removed += len(batch)
    run.log(f"{stack.name}: emptied bucket {bucket} ({removed} object versions and delete markers deleted)")


def _read_validation_records(run: _Run, stack: RenderedStack, certificate: str) -> None:
    try:
        found = run.call("acm", "describe_certificate", {"CertificateArn": certificate}, stack.region)
    except CallFailed as err:
        if err.code == "ResourceNotFoundException":
            return
        raise
    for option in found["Certificate"].get("DomainValidationOptions", []):
        record = option.get("ResourceRecord")
        if record:
            run.validation_records.add((_fqdn(record["Name"]), record["Type"]))


def _remove_validation_records(run: _Run, stack: RenderedStack, zone: str) -> None:
    """The records ACM wrote for this environment's certificates; on a run after their stack
    is gone, the zone's CNAME records that point at ACM's validation domain."""
    changes = []
    params: dict[str, Any] = {"HostedZoneId": zone}
    while True:
        try:
            page = run.call("route53", "list_resource_record_sets", params, stack.region)
        except CallFailed as err:
            if err.code == "NoSuchHostedZone":
                return
            raise
        for record in page["ResourceRecordSets"]:
            values = [r["Value"] for r in record.get("ResourceRecords", [])]
            ours = (_fqdn(record["Name"]), record["Type"]) in run.validation_records
            acm = record["Type"] == "CNAME" and bool(values) and all(v.endswith(ACM_VALIDATION_DOMAIN) for v in values)
            if ours or acm:
                changes.append({"Action": "DELETE", "ResourceRecordSet": record})
        if not page.get("IsTruncated"):
            break
        params = {**params, "StartRecordName": page["NextRecordName"], "StartRecordType": page["NextRecordType"]}
    if changes:
        run.call(
            "route53",
            "change_resource_record_sets",
            {"HostedZoneId": zone, "ChangeBatch": {"Changes": changes}},
            stack.region,
        )
        names = ", ".join(c["ResourceRecordSet"]["Name"] for c in changes)
        run.log(f"{stack.name}: removed the certificate's DNS validation record(s) from zone {zone}: {names}")


def _wait_for_lambda_interfaces(run: _Run, stack: RenderedStack, vpc: str) -> None:
    filters = [{"Name": "vpc-id", "Values": [vpc]}, {"Name": "description", "Values": [LAMBDA_INTERFACES]}]
    started = run.clock()
    while True:
        interfaces = [
            i["NetworkInterfaceId"]
            for page in run.pages("ec2", "describe_network_interfaces", {"Filters": filters}, stack.region)
            for i in page.get("NetworkInterfaces", [])
        ]
        waited = run.clock() - started
        if not interfaces:
            if waited:
                run.log(f"{stack.name}: Lambda released its network interfaces in {vpc} after {waited:.0f} s")
            return
        if waited >= run.interfaces_timeout:
            raise TeardownFailed(
                f"{stack.name}: Lambda still holds {len(interfaces)} network interface(s) in {vpc} after "
                f"{waited / 60:.0f} minutes ({', '.join(sorted(interfaces))}), so the subnets and security groups "
                f"cannot be deleted yet: run `make destroy ENV={run.env.name}` again later"
            )
        run.log(
            f"{stack.name}: waiting for Lambda to release {len(interfaces)} network interface(s) in {vpc} "
            f"({', '.join(sorted(interfaces))}): {waited:.0f} s of at most {run.interfaces_timeout:.0f} s"
        )
        run.sleep(run.poll)


def _fqdn(name: str) -> str:
    return name.lower().rstrip(".") + "."


__all__ = ["TeardownFailed", "TeardownRefused", "refusal", "teardown"]

"""Deleting as AWS deletes, where moto 5.2 deletes what it should not or cannot delete what it
should, so that an environment's teardown meets here what it meets on AWS. Imported by the
emulator process; local_aws/emulator/registry.py calls `register()` last (it wraps the stack
deletion and the certificate model).

- A stack's deletion runs dependents first, and a resource that cannot be deleted leaves the
  stack DELETE_FAILED with a DELETE_FAILED event naming the resource and AWS's reason (moto
  drops the stack from its list and answers DeleteStack with the error); deleting it again
  retries what is left. Retained resources (Retain, RetainExceptOnCreate) are left alone.
- Resources moto's CloudFormation never deleted: route tables and their subnet associations,
  VPC endpoints, flow logs, hosted zones, REST APIs.
- A bucket that holds any object, version or delete marker is not deleted: BucketNotEmpty
  (moto's CloudFormation left the bucket and reported success).
- A hosted zone with records other than its SOA and NS is not deleted: HostedZoneNotEmpty
  (moto's API refuses it; its CloudFormation deleted no zone at all).
- ACM writes a certificate's DNS validation record into the zone its DomainValidationOptions
  name (HostedZoneId), and deleting the certificate leaves it there, as AWS does
  (https://github.com/aws-cloudformation/cloudformation-coverage-roadmap/issues/837): the
  zone's deletion then fails until someone removes it.
- A function with a VpcConfig holds a network interface per subnet and set of security groups
  (Lambda's shared Hyperplane ENIs: description `AWS Lambda VPC ENI-<function>`, interface
  type `lambda`, requester-managed), shown by DescribeNetworkInterfaces. Lambda releases one
  some time after the last function using it is deleted (minutes on AWS; here
  MOTO_LAMBDA_ENI_RELEASE_SECONDS, default 2). While an interface is in a subnet or uses a
  security group, DeleteSubnet and DeleteSecurityGroup answer DependencyViolation, as EC2 does.
"""

from __future__ import annotations

import os
import threading
import time
from graphlib import TopologicalSorter
from typing import Any

from moto.acm.models import acm_backends
from moto.apigateway.models import RestAPI, apigateway_backends
from moto.awslambda.models import LambdaBackend
from moto.cloudformation import parsing
from moto.cloudformation.models import CloudFormationBackend, Event
from moto.ec2.exceptions import DependencyViolationError
from moto.ec2.models import EC2Backend, ec2_backends
from moto.ec2.models.flow_logs import FlowLogs
from moto.ec2.models.route_tables import RouteTable
from moto.ec2.models.subnets import SubnetRouteTableAssociation
from moto.ec2.models.vpcs import VPCEndPoint
from moto.ec2.utils import random_private_ip
from moto.route53.models import FakeZone, route53_backends
from moto.s3.exceptions import BucketNotEmpty
from moto.s3.models import S3Backend
from moto.utilities.utils import get_partition

from local_aws.emulator.services.acm import Certificate
from local_aws.emulator.stack_lifecycle import failure_reason
from local_aws.emulator.templates import references

RELEASE_VARIABLE = "MOTO_LAMBDA_ENI_RELEASE_SECONDS"
DEFAULT_RELEASE_SECONDS = 2.0
ENI_DESCRIPTION = "AWS Lambda VPC ENI-"  # what Lambda's Hyperplane ENIs are described as, then the function
RETAINED = ("Retain", "RetainExceptOnCreate")  # a completed stack keeps both


def release_seconds() -> float:
    return float(os.environ.get(RELEASE_VARIABLE) or DEFAULT_RELEASE_SECONDS)


# --- stack deletion ---------------------------------------------------------------------------


class ResourcesNotDeleted(Exception):
    """Resources a stack's deletion could not delete: logical id -> (type, physical id, reason)."""

    def __init__(self, failed: dict[str, tuple[str, str, str]]) -> None:
        super().__init__(f"The following resource(s) failed to delete: [{', '.join(sorted(failed))}]. ")
        self.failed = failed


def _delete_resources(self: parsing.ResourceMap) -> None:
    """Dependents first; a resource whose deletion fails keeps what it depends on (CloudFormation
    deletes nothing another resource of the stack still needs); resources already gone (an
    earlier, failed attempt deleted them) are skipped."""
    resources = self._resource_json_map
    doomed = {name for name, body in resources.items() if body.get("DeletionPolicy") not in RETAINED}
    needs = {name: references(resources[name]) & doomed - {name} for name in doomed}
    failed: dict[str, tuple[str, str, str]] = {}
    kept: set[str] = set()
    for name in reversed(list(TopologicalSorter(needs).static_order())):
        if any(name in needs[other] for other in failed.keys() | kept):
            kept.add(name)
            continue
        parsed = self._parsed_resources.get(name)
        if parsed is None or isinstance(parsed, str):
            continue  # deleted by an earlier attempt, or never created
        try:
            self._delete_resource(parsed, resources[name])
        except Exception as err:  # every failure is reported, as CloudFormation reports it
            failed[name] = (
                resources[name]["Type"],
                str(getattr(parsed, "physical_resource_id", "")),
                failure_reason(err),
            )
        else:
            self._parsed_resources.pop(name)
    if failed:
        raise ResourcesNotDeleted(failed)


def _fail_deletion(previous: Any) -> Any:
    def delete_stack(self: CloudFormationBackend, name_or_stack_id: str) -> None:
        stack = self.stacks.get(name_or_stack_id) or next(
            (s for s in self.stacks.values() if s.name == name_or_stack_id), None
        )
        try:
            previous(self, name_or_stack_id)
        except ResourcesNotDeleted as err:
            assert stack is not None  # only a stack that was found deletes resources
            self.stacks[stack.stack_id] = stack  # moto dropped it: it stays, DELETE_FAILED
            for logical, (kind, physical, reason) in sorted(err.failed.items()):
                stack.events.append(
                    Event(stack.stack_id, stack.name, logical, physical, kind, "DELETE_FAILED", reason, None)
                )
            stack.status = "DELETE_FAILED"
            stack._add_stack_event("DELETE_FAILED", resource_status_reason=str(err))

    return delete_stack


# --- what moto's CloudFormation never deleted -------------------------------------------------


def _delete_route_table(self: RouteTable, account_id: str, region_name: str) -> None:
    ec2_backends[account_id][region_name].delete_route_table(self.id)


def _disassociate(self: SubnetRouteTableAssociation, account_id: str, region_name: str) -> None:
    table = ec2_backends[account_id][region_name].get_route_table(self.route_table_id)
    for association, subnet in list(table._associations.items()):
        if subnet == self.subnet_id:
            table._associations.pop(association)


def _delete_endpoint(self: VPCEndPoint, account_id: str, region_name: str) -> None:
    ec2_backends[account_id][region_name].delete_vpc_endpoints([self.id])


def _delete_flow_log(self: FlowLogs, account_id: str, region_name: str) -> None:
    ec2_backends[account_id][region_name].delete_flow_logs([self.id])


def _delete_zone(self: FakeZone, account_id: str, region_name: str) -> None:
    route53_backends[account_id][get_partition(region_name)].delete_hosted_zone(self.id)


def _delete_rest_api(self: RestAPI, account_id: str, region_name: str) -> None:
    apigateway_backends[account_id][region_name].delete_rest_api(self.id)


# --- buckets ----------------------------------------------------------------------------------

_delete_bucket = S3Backend.delete_bucket


def _delete_only_empty_bucket(self: S3Backend, bucket_name: str) -> Any:
    """S3 deletes a bucket only once every object, version and delete marker is gone."""
    bucket = self.get_bucket(bucket_name)
    if bucket.keys:
        refusal = BucketNotEmpty(bucket_name)
        if bucket.is_versioned:
            refusal.message = f"{refusal.message}. You must delete all versions in the bucket."
        raise refusal
    return _delete_bucket(self, bucket_name)


# --- ACM's validation records -----------------------------------------------------------------


def _write_validation_records(create: Any) -> Any:
    def created(
        cls: Any,
        /,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> Any:
        certificate = create(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)
        described = acm_backends[account_id][region_name].describe_certificate(certificate.id).describe()
        records = {o["DomainName"]: o["ResourceRecord"] for o in described["Certificate"]["DomainValidationOptions"]}
        for option in cloudformation_json["Properties"].get("DomainValidationOptions") or []:
            if option.get("HostedZoneId") and option["DomainName"] in records:
                record = records[option["DomainName"]]
                change = {
                    "Action": "UPSERT",
                    "ResourceRecordSet": {
                        "Name": record["Name"],
                        "Type": record["Type"],
                        "TTL": 300,
                        "ResourceRecords": [{"Value": record["Value"]}],
                    },
                }
                route53_backends[account_id][get_partition(region_name)].change_resource_record_sets(
                    option["HostedZoneId"], [change]
                )
        return certificate

    return created


# --- Lambda's network interfaces --------------------------------------------------------------

_interfaces_lock = threading.RLock()  # reentrant: moto may list interfaces while one is made
# (account, region, subnet, security groups) -> [interface id, time released (None: in use)]
_interfaces: dict[tuple[str, str, str, tuple[str, ...]], list[Any]] = {}


def reconcile_interfaces(account_id: str, region_name: str) -> None:
    """One interface per subnet and set of security groups any function of the account and
    region uses; one no function uses any more goes once its release time has passed."""
    from moto.awslambda.models import lambda_backends  # noqa: PLC0415 - the registry of every account

    ec2 = ec2_backends[account_id][region_name]
    wanted: dict[tuple[str, str, str, tuple[str, ...]], str] = {}
    for function in lambda_backends[account_id][region_name].list_functions():
        config = function._vpc_config or {}
        groups = tuple(sorted(config.get("SecurityGroupIds") or []))
        for subnet in config.get("SubnetIds") or []:
            wanted.setdefault((account_id, region_name, subnet, groups), function.function_name)
    now = time.monotonic()
    with _interfaces_lock:
        for key, function_name in wanted.items():
            if key in _interfaces:
                _interfaces[key][1] = None  # in use again
                continue
            subnet = ec2.get_subnet(key[2])
            interface = ec2.create_network_interface(
                subnet,
                random_private_ip(subnet.cidr_block),
                group_ids=list(key[3]),
                description=f"{ENI_DESCRIPTION}{function_name}",
            )
            interface.interface_type = "lambda"
            interface.requester_managed = True
            interface.requester_id = "AWSLambda"
            interface.status = "in-use"
            _interfaces[key] = [interface.id, None]
        for key, held in list(_interfaces.items()):
            if key[:2] != (account_id, region_name) or key in wanted:
                continue
            if held[1] is None:
                held[1] = now + release_seconds()
            elif now >= held[1]:
                ec2.enis.pop(held[0], None)
                del _interfaces[key]


def _reconcile_after(method: Any) -> Any:
    def wrapped(self: LambdaBackend, *args: Any, **kwargs: Any) -> Any:
        result = method(self, *args, **kwargs)
        reconcile_interfaces(self.account_id, self.region_name)
        return result

    return wrapped


def _reconcile_before(method: Any) -> Any:
    def wrapped(self: EC2Backend, *args: Any, **kwargs: Any) -> Any:
        reconcile_interfaces(self.account_id, self.region_name)
        return method(self, *args, **kwargs)

    return wrapped


_delete_subnet = EC2Backend.delete_subnet
_delete_security_group = EC2Backend.delete_security_group


def _delete_unused_subnet(self: EC2Backend, subnet_id: str) -> Any:
    if any(interface.subnet.id == subnet_id for interface in self.enis.values()):
        raise DependencyViolationError(f"The subnet '{subnet_id}' has dependencies and cannot be deleted.")
    return _delete_subnet(self, subnet_id)


def _delete_unused_security_group(self: EC2Backend, name: str | None = None, group_id: str | None = None) -> Any:
    group = self.get_security_group_from_id(group_id) if group_id else None
    if group is not None and any(group in interface._group_set for interface in self.enis.values()):
        raise DependencyViolationError(f"resource {group.id} has a dependent object")
    return _delete_security_group(self, name=name, group_id=group_id)


def register() -> None:
    """Patch moto (once)."""
    if getattr(CloudFormationBackend, "_deletion_rules", False):
        return
    parsing.ResourceMap.delete = _delete_resources  # type: ignore[method-assign]
    CloudFormationBackend.delete_stack = _fail_deletion(CloudFormationBackend.delete_stack)  # type: ignore[method-assign]
    RouteTable.delete = _delete_route_table  # type: ignore[attr-defined]
    SubnetRouteTableAssociation.delete = _disassociate  # type: ignore[attr-defined]
    VPCEndPoint.delete = _delete_endpoint  # type: ignore[attr-defined]
    FlowLogs.delete = _delete_flow_log  # type: ignore[attr-defined]
    FakeZone.delete = _delete_zone  # type: ignore[attr-defined]
    RestAPI.delete = _delete_rest_api  # type: ignore[attr-defined]
    S3Backend.delete_bucket = _delete_only_empty_bucket  # type: ignore[method-assign]
    create = Certificate.create_from_cloudformation_json.__func__  # type: ignore[attr-defined]
    Certificate.create_from_cloudformation_json = classmethod(_write_validation_records(create))  # type: ignore[method-assign,assignment]
    for name in ("create_function", "delete_function", "update_function_configuration"):
        setattr(LambdaBackend, name, _reconcile_after(getattr(LambdaBackend, name)))
    EC2Backend.get_all_network_interfaces = _reconcile_before(EC2Backend.get_all_network_interfaces)  # type: ignore[method-assign]
    EC2Backend.delete_subnet = _reconcile_before(_delete_unused_subnet)  # type: ignore[method-assign]
    EC2Backend.delete_security_group = _reconcile_before(_delete_unused_security_group)  # type: ignore[method-assign]
    CloudFormationBackend._deletion_rules = True  # type: ignore[attr-defined]


__all__ = ["ResourcesNotDeleted", "reconcile_interfaces", "register"]

"""`!managed_prefix_list <service>`: the id of an AWS-managed prefix list in the stack's region."""

from __future__ import annotations

import re

from sceptre.exceptions import SceptreException
from sceptre.resolvers import Resolver

from blueprints.sceptre.errors import argument_error


class ManagedPrefixListNotFound(SceptreException):  # type: ignore[misc]
    """No AWS-managed prefix list of that name in the stack's region."""


class ManagedPrefixListResolver(Resolver):  # type: ignore[misc]
    """`!managed_prefix_list <service>`: the id of the AWS-managed prefix list
    `com.amazonaws.<region>.<service>` (e.g. `s3`, `dynamodb`: the destinations of the
    gateway endpoints) in the stack's own region, read at launch with the stack's own
    credentials (profile or role) through ec2 DescribeManagedPrefixLists.

    CloudFormation has no lookup of a prefix list by name and the ids differ per region, so
    the id is resolved here rather than hard-coded; `generate` never resolves it."""

    def resolve(self) -> str:
        environment, _, stack = str(self.stack.name).partition("/")
        service = self.argument
        if not isinstance(service, str) or not _SERVICE.fullmatch(service):
            problem = f"!managed_prefix_list takes a service name such as s3 or dynamodb, got {service!r}"
            raise argument_error(self.stack, problem)
        region = self.stack.region
        name = f"com.amazonaws.{region}.{service}"
        described = self.stack.connection_manager.call(
            "ec2",
            "describe_managed_prefix_lists",
            {"Filters": [{"Name": "prefix-list-name", "Values": [name]}]},
            region=region,
        )
        found = sorted(str(p["PrefixListId"]) for p in described.get("PrefixLists", []) if p.get("OwnerId") == "AWS")
        if not found:
            raise ManagedPrefixListNotFound(
                f"environment {environment!r}, stack {stack!r}: !managed_prefix_list {service}: no AWS-managed "
                f"prefix list {name!r} in {region} (is {service!r} a service with a gateway endpoint there?)"
            )
        return found[0]


_SERVICE = re.compile(r"[a-z0-9][a-z0-9.-]*")

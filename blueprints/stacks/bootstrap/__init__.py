"""The bootstrap of an environment's account, like `cdk bootstrap`: what must exist before
the environment's first stack, made once per account by an administrator
(`make bootstrap ENV=<env>`, scripts/bootstrap.py), as the stack `<project>-<env>-bootstrap`
in the environment's region.

- `DeployRole` (`<project>-<env>-deploy`): the role every launch acts through (Sceptre's
  `sceptre_role`), trusting only the environment's `deployers`. It may manage the
  environment's stacks, hand them the CloudFormation role, upload and sign function
  packages, read and rotate the origin secret (and read what the distribution sends), read
  its functions' configuration (the replication report) and look up managed prefix lists;
  nothing else.
- `CloudFormationRole` (`<project>-<env>-cloudformation`): the role CloudFormation acts with
  (Sceptre's `cloudformation_service_role`), allowed what the handlers of the environment's
  resource types need (blueprints.core.permissions), never `*` actions or administrator access.
- The account-and-region-wide API Gateway CloudWatch role (stage execution logs).

The function packages' bucket is not here: the environment's storage stack makes it at the
first launch level, before any package is uploaded, under the stack's key and the guard.

Its `settings` module holds the config model and what other code reads of the stack without
building it; its `template` module the blueprint. Each name below is imported on first use
(see `blueprints.stacks`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from blueprints.core.lazy import lazy_exports

if TYPE_CHECKING:
    from blueprints.core.permissions import SERVICES
    from blueprints.stacks.bootstrap.settings import (
        BootstrapConfig,
        bootstrap_stack_name,
        cloudformation_role_name,
        deploy_role_name,
        role_arn,
    )
    from blueprints.stacks.bootstrap.template import (
        MANAGED_POLICY_LIMIT,
        STACK_ACTIONS,
        STACK_ACTIONS_WITHOUT_RESOURCE,
        BootstrapBlueprint,
    )

_EXPORTS = {
    "SERVICES": "blueprints.core.permissions",  # the services the CloudFormation role is allowed
    "BootstrapConfig": "blueprints.stacks.bootstrap.settings",
    "bootstrap_stack_name": "blueprints.stacks.bootstrap.settings",
    "cloudformation_role_name": "blueprints.stacks.bootstrap.settings",
    "deploy_role_name": "blueprints.stacks.bootstrap.settings",
    "role_arn": "blueprints.stacks.bootstrap.settings",
    "MANAGED_POLICY_LIMIT": "blueprints.stacks.bootstrap.template",
    "STACK_ACTIONS": "blueprints.stacks.bootstrap.template",
    "STACK_ACTIONS_WITHOUT_RESOURCE": "blueprints.stacks.bootstrap.template",
    "BootstrapBlueprint": "blueprints.stacks.bootstrap.template",
}

__all__ = [
    "MANAGED_POLICY_LIMIT",
    "SERVICES",
    "STACK_ACTIONS",
    "STACK_ACTIONS_WITHOUT_RESOURCE",
    "BootstrapBlueprint",
    "BootstrapConfig",
    "bootstrap_stack_name",
    "cloudformation_role_name",
    "deploy_role_name",
    "role_arn",
]

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())

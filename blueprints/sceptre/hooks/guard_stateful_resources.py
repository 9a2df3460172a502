"""`!guard_stateful_resources`: refuse an update that would replace or delete a stateful
resource the environment does not allow, or that AWS would refuse as one update."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from sceptre.exceptions import SceptreException
from sceptre.hooks import Hook

from blueprints.deploy.guard import destructive_changes, stack_policy
from blueprints.sceptre.cloudformation import (
    change_set_changes,
    deployed_template,
    override_stack_policy_for_next_update,
)
from blueprints.sceptre.errors import reported
from blueprints.sceptre.loaded import environment_of

if TYPE_CHECKING:
    from blueprints.project import Environment


class DestructiveChangeRefused(SceptreException):  # type: ignore[misc]
    """An update would replace or delete a stateful resource the environment does not allow.
    Sceptre's CLI prints it as one line and exits 1; the hook has logged each change, with its
    old and new values, just before."""


class UpdateInSteps(SceptreException):  # type: ignore[misc]
    """An update AWS would refuse as one (two index changes on a table): it names the steps."""


class GuardStatefulResourcesHook(Hook):  # type: ignore[misc]
    """`!guard_stateful_resources`: before an update, refuse any change that would replace or
    delete a stateful resource, unless `environment.allow_destructive_changes` names it, and
    any change AWS would refuse in one update, naming the steps. Nothing is changed on refusal.

    Two readings, the second only when the first passes: the deployed template against the new
    one through the resource schemas (offline: `blueprints.deploy.guard.destructive_changes`), then
    CloudFormation's own answer, a change set for the update (with its parameter values) whose
    `Remove`s and `Replacement: True | Conditional` on stateful resources count the same way;
    the change set is deleted, never executed."""

    def run(self) -> None:
        from botocore.exceptions import ClientError  # noqa: PLC0415 - not at plugin import

        from blueprints.deploy.guard import destructive_changes_in_change_set, updates_in_steps  # noqa: PLC0415

        with reported(self.stack.stack_group_config["project_path"]):
            env, name = environment_of(self.stack)
        try:
            old = deployed_template(self.stack)
        except ClientError as err:
            if "does not exist" in str(err):
                return  # a first launch replaces nothing
            raise
        with reported(self.stack.stack_group_config["project_path"]):
            new = json.loads(env.render(name))
        where = f"{self.stack.external_name} ({env.name}/{name})"
        steps = updates_in_steps(name, old, new)
        if steps:
            raise UpdateInSteps(f"refusing to update {where}: AWS refuses it as one update: {' '.join(steps)}")
        changes = destructive_changes(name, old, new)
        self._refuse_unless_allowed(env, name, changes)
        found = {c.resource for c in changes}
        answered = destructive_changes_in_change_set(name, old, change_set_changes(self.stack))
        changes += [c for c in answered if c.resource not in found]
        self._refuse_unless_allowed(env, name, changes)
        for change in changes:
            self.logger.warning(f"allowed by environment.allow_destructive_changes: {change.describe()}")
        if changes:
            # A protected stack's policy denies these changes: the update carries an override
            # that allows them, and only them, for this update.
            override_stack_policy_for_next_update(self.stack, stack_policy(old, exempt={c.resource for c in changes}))

    def _refuse_unless_allowed(self, env: Environment, name: str, changes: list[Any]) -> None:
        refused = [c for c in changes if c.allowance not in env.settings.allow_destructive_changes]
        if not refused:
            return
        for change in refused:
            self.logger.error(f"would replace or delete data: {change.describe()}")
        what = "; ".join(f"{c.resource} ({c.what})" for c in refused)
        allow = ", ".join(sorted({c.allowance for c in refused}))
        raise DestructiveChangeRefused(
            f"refusing to update {self.stack.external_name} ({env.name}/{name}): it would replace or delete "
            f"data: {what}. Nothing was changed. If this is intended, list [{allow}] under "
            f"environment.allow_destructive_changes in config/{env.name}/config.yaml."
        )

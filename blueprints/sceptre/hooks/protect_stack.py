"""`!protect_stack`: after a launch, termination protection and a stack policy guarding the
stack's stateful resources, in environments with `protect_stacks`."""

from __future__ import annotations

import json
from typing import Any

from sceptre.hooks import Hook

from blueprints.deploy.guard import stack_policy
from blueprints.sceptre.cloudformation import deployed_template
from blueprints.sceptre.errors import reported
from blueprints.sceptre.loaded import environment_of

# The statuses of a stack whose last operation completed: one that rolled back its own
# creation (ROLLBACK_COMPLETE) is deleted by the next launch, which protection would refuse.
PROTECTABLE_STATUSES = frozenset({"CREATE_COMPLETE", "UPDATE_COMPLETE", "UPDATE_ROLLBACK_COMPLETE", "IMPORT_COMPLETE"})


class ProtectStackHook(Hook):  # type: ignore[misc]
    """`!protect_stack`: after a launch, in environments with `protect_stacks`, turn on
    termination protection and set a stack policy that denies replacing or deleting each
    stateful resource of the stack as deployed.

    Sceptre runs after-launch hooks after a failed launch too: a stack whose create rolled
    back is left unprotected (the next launch deletes and creates it again), and one whose
    update rolled back keeps the protection of what it still runs."""

    def run(self) -> None:
        with reported(self.stack.stack_group_config["project_path"]):
            env, _ = environment_of(self.stack)
            if not env.settings.protect_stacks:
                return
        (described,) = self._call("describe_stacks")["Stacks"]
        status = described["StackStatus"]
        if status not in PROTECTABLE_STATUSES:
            self.logger.warning(f"{self.stack.name} - not protected: the stack is {status}")
            return
        self._call("update_termination_protection", EnableTerminationProtection=True)
        policy = stack_policy(deployed_template(self.stack))
        if policy is not None:
            self._call("set_stack_policy", StackPolicyBody=json.dumps(policy))

    def _call(self, command: str, **kwargs: Any) -> Any:
        kwargs["StackName"] = self.stack.external_name
        return self.stack.connection_manager.call("cloudformation", command, kwargs, region=self.stack.region)

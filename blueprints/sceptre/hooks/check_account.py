"""`!check_account`: refuse to change a stack whose credentials act in another account than
the environment's."""

from __future__ import annotations

from sceptre.exceptions import SceptreException
from sceptre.hooks import Hook

from blueprints.sceptre.errors import reported
from blueprints.sceptre.loaded import environment_of


class WrongAccount(SceptreException):  # type: ignore[misc]
    """The credentials a launch would use act in another account than the environment's."""


class CheckAccountHook(Hook):  # type: ignore[misc]
    """`!check_account`: before any change to a stack, ask STS who the stack's credentials
    (after Sceptre assumed its `sceptre_role`) are, and refuse unless they act in the
    environment's declared `account_id`, naming both accounts. Nothing is changed on refusal."""

    def run(self) -> None:
        with reported(self.stack.stack_group_config["project_path"]):
            env, name = environment_of(self.stack)
        identity = self.stack.connection_manager.call("sts", "get_caller_identity", {}, region=self.stack.region)
        if identity["Account"] != env.settings.account_id:
            raise WrongAccount(
                f"refusing to change {self.stack.external_name} ({env.name}/{name}): its credentials "
                f"({identity['Arn']}) act in account {identity['Account']}, but environment {env.name!r} lives in "
                f"account {env.settings.account_id} (environment.account_id in config/{env.name}/config.yaml). "
                "Nothing was changed."
            )

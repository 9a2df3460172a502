"""`!account_role deploy|cloudformation`: the ARN of that role in the environment's account."""

from __future__ import annotations

from sceptre.resolvers import Resolver

from blueprints.sceptre import template_cache
from blueprints.sceptre.errors import argument_error, reported
from blueprints.sceptre.loaded import environment_of


class AccountRoleResolver(Resolver):  # type: ignore[misc]
    """`!account_role deploy` or `!account_role cloudformation`: the ARN of that role in the
    stack's environment's account (`environment.account_id`), as the account's bootstrap names
    it (blueprints.stacks.bootstrap). Set once in config/config.yaml as every stack's `sceptre_role`
    and `cloudformation_service_role`, so each environment is launched through its own account's
    roles; reads only the configuration (kept in the template cache with the templates, so an
    unchanged project is not loaded for it)."""

    ROLES = ("deploy", "cloudformation")

    def resolve(self) -> str:
        if self.argument not in self.ROLES:
            problem = f"!account_role takes one of {', '.join(self.ROLES)}, got {self.argument!r}"
            raise argument_error(self.stack, problem)
        project_dir = self.stack.stack_group_config["project_path"]
        environment = str(self.stack.name).partition("/")[0]
        return template_cache.remembered(project_dir, f"account_role\0{environment}\0{self.argument}", self._arn)

    def _arn(self) -> str:
        from blueprints.stacks.bootstrap.settings import cloudformation_role_name, deploy_role_name, role_arn  # noqa: PLC0415

        with reported(self.stack.stack_group_config["project_path"]):
            env, _ = environment_of(self.stack)
        name = deploy_role_name(env.context) if self.argument == "deploy" else cloudformation_role_name(env.context)
        return role_arn(env.settings.account_id, name, env.region)

"""`!validate_environment`: validate the whole project and render every stack of the
environment before the stack's first AWS call."""

from __future__ import annotations

from sceptre.hooks import Hook

from blueprints.sceptre.errors import reported
from blueprints.sceptre.loaded import environment_of, loaded


class ValidateEnvironmentHook(Hook):  # type: ignore[misc]
    """`!validate_environment`: validate the whole project and render every stack of this
    environment before the stack's first AWS call.

    Run as a `before_launch`/`before_create`/`before_update` hook on every stack, it makes
    a configuration error stop the launch at its first level, before anything is created.
    """

    def run(self) -> None:
        with reported(self.stack.stack_group_config["project_path"]):
            project = loaded(self.stack.stack_group_config["project_path"])
            env, _ = environment_of(self.stack)
            if env.name in project.built:  # another stack of this launch built them all
                return
            for stack in env.stacks:
                env.blueprint(stack).build()
            project.built.add(env.name)

"""The `blueprint` template handler: renders a blueprint for a stack, so a stack config needs
no shim file::

    template:
      type: blueprint
      name: network

The environment is the stack's group (`dev/network` -> `dev`); its settings come from
the project's `config/<env>/config.yaml` files, validated together with every other
environment before anything is rendered, once per process and version of those files. A
template rendered before from the same code and files comes from the template cache
(`blueprints.sceptre.template_cache`), without loading the project.
"""

from __future__ import annotations

from typing import Any

from sceptre.template_handlers import TemplateHandler

from blueprints.sceptre import template_cache
from blueprints.sceptre.errors import reported
from blueprints.sceptre.loaded import loaded


class BlueprintHandler(TemplateHandler):  # type: ignore[misc]
    """Renders the named blueprint for the stack's environment."""

    def schema(self) -> dict[str, Any]:
        return {
            "type": "object",
            "properties": {"name": {"type": "string", "description": "Blueprint (stack) name, e.g. network"}},
            "required": ["name"],
        }

    def handle(self) -> str:
        environment, _, stack = str(self.name).partition("/")
        project_dir = self.stack_group_config["project_path"]
        kept = template_cache.key(project_dir, environment, stack, self.arguments.get("name"))
        template = template_cache.read(kept)
        if template is None:
            with reported(project_dir):
                template = loaded(project_dir).project.environment(environment, stack=stack).render(stack)
            template_cache.write(kept, template)
        return template

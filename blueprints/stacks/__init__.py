"""The stacks: one package per stack, `blueprints.stacks.<name>`, in two modules.

- `settings`: the stack's config model (a `StackConfig`) and what other code reads of the stack
  without building it: its region, the names of its resources and alarms. It imports pydantic,
  the standard library, `blueprints.core.config`, `.context`, `.errors` and `blueprints.contract`
  only: no troposphere, no awacs, no `blueprints.blocks`.
- `template`: the `Blueprint`, which builds the stack's template from `blueprints.blocks` and
  `blueprints.core`. A template imports other stacks' settings, never their templates.

Apart because a project is validated whole (every stack of every environment, and the rules
across environments) whenever it is loaded, and one stack is rendered at a time: the project's
registry (`blueprints.project.registry`) names each stack by module path, so loading the project
imports the settings alone and rendering a stack imports its own template and no other's. Each
package's `__init__` exports both modules' names, each imported on first use
(`from blueprints.stacks.api import ApiBlueprint, ApiConfig`). Nothing here reads configuration
files or calls AWS."""

# The built-in stacks by name, in launch order (the registry maps each to its blueprint; the
# template cache serves only these, whose code is this package's).
NAMES = (
    "network",
    "data",
    "storage",
    "zone",
    "identity",
    "certificate",
    "edge",
    "functions",
    "api",
    "cdn",
    "monitoring",
)

"""The stacks: one module per stack, each a `Blueprint` with its typed config, built from
`blueprints.blocks` and `blueprints.core`. The project's registry (`blueprints.project.registry`)
names them; nothing here reads configuration files or calls AWS."""

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

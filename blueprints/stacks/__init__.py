"""The stacks: one module per stack, each a `Blueprint` with its typed config, built from
`blueprints.blocks` and `blueprints.core`. The project's registry (`blueprints.project.registry`)
names them; nothing here reads configuration files or calls AWS."""

"""The project: environment settings read from a Sceptre project's `config/` files, the
registry of blueprints they name, and the rules across environments."""

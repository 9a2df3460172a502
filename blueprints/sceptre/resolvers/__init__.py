"""Sceptre resolvers, one per module: `!<module name>` in a stack file's `parameters`."""

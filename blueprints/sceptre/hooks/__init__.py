"""Sceptre hooks, one per module: `!<module name>` in a stack file's `hooks`."""

"""The Sceptre plugins, each registered under its entry point in pyproject.toml.

Sceptre imports every registered plugin when any command starts: these modules import only
Sceptre's plugin base classes and the standard library at import time."""

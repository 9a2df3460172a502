"""Fixes to moto's own models and APIs, one module per service: where moto 5.2 keeps a resource
or answers a call differently from AWS in a way the stacks meet. Each module's `register()`
applies its patches; local_aws/emulator/registry.py calls them all."""

"""Deprecated alias of `local_aws.client.control`, kept for one release: its attributes are
read from there (with a DeprecationWarning), and `python -m local_aws.control ...` runs
`python -m local_aws.client.control ...` (__main__.py). A package, not a module, so that the
old module's history follows it to local_aws/client/control.py."""

from __future__ import annotations

import warnings
from typing import Any

from local_aws.client import control as _control

MOVED = "local_aws.control is deprecated: use local_aws.client.control (python -m local_aws.client.control)"


def __getattr__(name: str) -> Any:
    if not hasattr(_control, name):  # a probe for what neither module has: no warning
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    warnings.warn(MOVED, DeprecationWarning, stacklevel=2)
    return getattr(_control, name)

"""Deprecated alias of `local_aws.client.control`, kept for one release: its attributes are
read from there (with a DeprecationWarning), and `python -m local_aws.control ...` runs
`python -m local_aws.client.control ...`."""

from __future__ import annotations

import sys
import warnings
from typing import Any

from local_aws.client import control as _control

MOVED = "local_aws.control is deprecated: use local_aws.client.control (python -m local_aws.client.control)"


def __getattr__(name: str) -> Any:
    warnings.warn(MOVED, DeprecationWarning, stacklevel=2)
    return getattr(_control, name)


if __name__ == "__main__":
    warnings.warn(MOVED, DeprecationWarning, stacklevel=1)
    sys.exit(_control.main(sys.argv[1:]))

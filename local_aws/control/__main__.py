"""`python -m local_aws.control ...`: deprecated, runs `python -m local_aws.client.control ...`."""

from __future__ import annotations

import sys
import warnings

from local_aws.client import control
from local_aws.control import MOVED

warnings.warn(MOVED, DeprecationWarning, stacklevel=1)
sys.exit(control.main(sys.argv[1:]))

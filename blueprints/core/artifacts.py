"""The artifacts bucket's layout, which the deploy tooling writes (`blueprints.deploy.packaging`)
and the account's bootstrap allows its deploy role to write (`blueprints.stacks.bootstrap`).

Function packages are kept under their content address, `functions/<function>/<sha256>.zip`; signed
packages under `signed/<profile version>/<function>/<sha256 of the unsigned zip>.zip`, where
they are copied from the prefix AWS Signer writes its jobs' results to.
"""

from __future__ import annotations

SIGNED_PREFIX = "signed/"
SIGNING_JOBS_PREFIX = "signed/jobs/"  # where Signer writes; the result is then copied to its content address

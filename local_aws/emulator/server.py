"""Emulator process: register what the emulator adds to moto (local_aws/emulator/registry.py),
then serve moto on 127.0.0.1 only, with the Cognito OAuth2 token endpoint moto lacks (local_aws/emulator/oauth.py)
in front of it, and the identity policies of the stacks' roles enforced on their calls
(local_aws/emulator/iam_enforcement.py), DynamoDB's transaction conflicts
(local_aws/emulator/dynamodb_transactions.py) and query costs (local_aws/emulator/patches/dynamodb.py).
Run with the emulator's interpreter: python -m local_aws.emulator.server --port N"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
from pathlib import Path
from typing import Any

from moto import backends
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import run_simple

from local_aws.emulator import public_dns, registry
from local_aws.emulator.frontdoor import serve_in_thread
from local_aws.emulator.iam_enforcement import Enforcer
from local_aws.emulator.oauth import TokenEndpoint

HOST = "127.0.0.1"


class _RequestHandler(MotoRequestHandler):
    # werkzeug writes an answer's headers and body apart: without Nagle's algorithm the body
    # does not wait for the client's (delayed) acknowledgement of the headers.
    disable_nagle_algorithm = True


def _quicker_moto() -> None:
    """moto lists its package directory on every request to find the service a host names;
    the list does not change while the process runs. werkzeug's line per request goes: the
    front door logs its own, and errors still reach the log."""
    modules = tuple(backends.list_of_moto_modules())
    backends.list_of_moto_modules = lambda: modules
    logging.getLogger("werkzeug").setLevel(logging.WARNING)


def _exit(signum: int, frame: Any) -> None:
    sys.exit(0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--frontdoor-port", type=int, help="also serve the API Gateway front door on this port")
    args = parser.parse_args()
    registry.register()
    _quicker_moto()
    # What moto.server.main does, with the token endpoint wrapped around moto's app.
    os.environ.setdefault("MOTO_PORT", str(args.port))  # moto builds some URLs from it
    signal.signal(signal.SIGINT, _exit)
    signal.signal(signal.SIGTERM, _exit)
    public_dns.serve_in_thread(args.port)  # UDP, on the port moto serves HTTP on
    if args.frontdoor_port:
        state = Path(os.environ.get("EMULATOR_STATE_DIR", ".emulator"))
        serve_in_thread(args.frontdoor_port, f"http://{HOST}:{args.port}", state)
    app = DomainDispatcherApplication(create_backend_app)
    run_simple(HOST, args.port, Enforcer(TokenEndpoint(app)), threaded=True, request_handler=_RequestHandler)


if __name__ == "__main__":
    main()

"""Emulator process: register the extra CloudFormation models, then serve moto on
127.0.0.1 only. Run with the emulator's interpreter: python -m local_aws.server --port N"""

from __future__ import annotations

import argparse

from moto.server import main as moto_main

from local_aws.models import register


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    register()
    moto_main(["--host", "127.0.0.1", "--port", str(args.port)])


if __name__ == "__main__":
    main()

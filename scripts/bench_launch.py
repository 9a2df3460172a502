"""Benchmark: launch environments on a fresh local emulator and compare the wall time with
its lower bound, the dependency depth times Sceptre's fixed 4 s status poll.

    python -m scripts.bench_launch [--env dev --env prod]

Each environment gets its own, empty emulator. The second row per environment is a
relaunch of the unchanged environment (no stack update). Timings are noisy on shared
machines: read the ratio, measured in the same run.
"""

from __future__ import annotations

import argparse
import platform
import tempfile
import time
from pathlib import Path

from blueprints.deploy.rendering import dependency_depth, render_environment
from local_aws.client import control
from local_aws.client.accounts import bootstrap_account
from local_aws.client.launched import sceptre_launch
from local_aws.client.paths import PROJECT_DIR

SCEPTRE_POLL_SECONDS = 4.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--env", action="append", help="environment(s) to launch (default: dev and prod)")
    args = parser.parse_args()
    print(f"# launch benchmark: {platform.machine()}, {platform.python_implementation()} {platform.python_version()}\n")
    print("| environment | launch | stacks | depth | lower bound (depth x 4 s) | wall time | ratio |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for env in args.env or ["dev", "prod"]:
        stacks = render_environment(PROJECT_DIR, env)
        depth = max(dependency_depth(stacks).values())
        bound = depth * SCEPTRE_POLL_SECONDS
        with tempfile.TemporaryDirectory() as state:
            emulator = control.start(Path(state))
            try:
                bootstrap_account(emulator, env)  # once per account, not part of a launch
                for kind in ("first, empty emulator", "again, unchanged"):
                    start = time.perf_counter()
                    launch = sceptre_launch(emulator, env)
                    wall = time.perf_counter() - start
                    if launch.returncode != 0:
                        raise SystemExit(f"launch of {env} failed:\n{launch.output[-3000:]}")
                    row = [env, kind, len(stacks), depth, f"{bound:.0f} s", f"{wall:.1f} s", f"{wall / bound:.2f}"]
                    print("| " + " | ".join(map(str, row)) + " |")
            finally:
                control.stop(Path(state))


if __name__ == "__main__":
    main()

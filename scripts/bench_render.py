"""Benchmark: render every stack of every environment in one process.

Prints, per template, the median build+serialise time over several rounds and the
template size, then the total for one full rendering of all environments, directly and
through Sceptre (`generate`, offline). Timings vary with the machine; compare the
ratios printed in the same run, not absolute numbers across machines.

    python scripts/bench_render.py [--rounds 20]
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
from pathlib import Path

from blueprints.environments import BLUEPRINTS, load_project
from blueprints.sceptre_adapter import render_environment

PROJECT = Path(__file__).resolve().parent.parent / "sceptre_project"


def _median_seconds(action, rounds: int) -> float:
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        action()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=20, help="repetitions per measurement (median is reported)")
    args = parser.parse_args()

    project = load_project(PROJECT)
    print(f"# render benchmark: {platform.python_implementation()} {platform.python_version()}, {platform.machine()}")
    print(f"# {len(project.environments)} environments x {len(BLUEPRINTS)} stacks, median of {args.rounds} rounds\n")
    print("| environment | stack | ms | bytes |")
    print("|---|---|---:|---:|")
    direct_total = 0.0
    for env_name, env in project.environments.items():
        for stack in BLUEPRINTS:
            seconds = _median_seconds(lambda env=env, stack=stack: env.render(stack), args.rounds)
            direct_total += seconds
            print(f"| {env_name} | {stack} | {seconds * 1000:.2f} | {len(env.render(stack))} |")

    load = _median_seconds(lambda: load_project(PROJECT), args.rounds)
    sceptre = _median_seconds(
        lambda: [render_environment(PROJECT, env) for env in project.environments], max(3, args.rounds // 4)
    )
    print()
    print("| measure | ms |")
    print("|---|---:|")
    print(f"| load + validate every environment's settings | {load * 1000:.1f} |")
    count = len(project.environments) * len(BLUEPRINTS)
    print(f"| all {count} templates, blueprints directly | {direct_total * 1000:.1f} |")
    print(f"| all environments through Sceptre `generate` (offline) | {sceptre * 1000:.1f} |")
    print(f"\nSceptre / direct ratio: {sceptre / direct_total:.1f}x")


if __name__ == "__main__":
    main()

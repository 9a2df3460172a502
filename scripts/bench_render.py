"""Benchmark: render every stack of every environment, in this process and in cold ones.

Prints, per template, the median build+serialise time over several rounds and the
template size; then the in-process totals (settings, blueprints directly, through
Sceptre's `generate` machinery offline); then cold processes, imports included, each the
median of several runs: every environment rendered in one process (through Sceptre, and
through the blueprints alone) and `sceptre generate dev` as a user runs it, each against
the blueprints-only time of the same work and against its budget, and `sceptre --help`
(Sceptre importing itself) as the floor no change of ours can go below. Timings vary with
the machine and its load; compare the ratios printed in the same run, not absolute numbers
across machines.

    python -m scripts.bench_render [--rounds 20] [--cold-runs 5]
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from blueprints.environments import load_project
from blueprints.sceptre_adapter import render_environment

ROOT = Path(__file__).resolve().parent.parent
PROJECT = ROOT / "sceptre_project"
SCEPTRE = Path(sys.executable).parent / "sceptre"

# Budgets (2 cores): a whole `sceptre generate <env>`, and every environment in one process.
GENERATE_BUDGET = 1.0
ALL_ENVIRONMENTS_BUDGET = 0.8

_SCEPTRE_ALL = (
    "import sys\n"
    "from blueprints.environments import load_project\n"
    "from blueprints.sceptre_adapter import render_environment\n"
    "for env in load_project(sys.argv[1]).environments:\n"
    "    render_environment(sys.argv[1], env)\n"
)
_DIRECT_ALL = (
    "import sys\n"
    "from blueprints.environments import load_project\n"
    "for env in load_project(sys.argv[1]).environments.values():\n"
    "    for stack in env.stacks:\n"
    "        env.render(stack)\n"
)


def _median_seconds(action: Callable[[], object], rounds: int) -> float:
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        action()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def _cold_seconds(argv: list[str], runs: int) -> tuple[float, float]:
    """Median wall and CPU (user + system) seconds of a fresh process, interpreter start and
    imports included. CPU time says more than wall time on a busy machine."""

    def run() -> float:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run(argv, check=True, cwd=ROOT, stdout=subprocess.DEVNULL, env=os.environ)  # noqa: S603
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        return after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime

    run()  # warm the file system cache and the bytecode cache first
    cpu: list[float] = []
    wall = _median_seconds(lambda: cpu.append(run()), runs)
    return wall, statistics.median(cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=20, help="repetitions per measurement (median is reported)")
    parser.add_argument("--cold-runs", type=int, default=5, help="fresh processes per cold measurement (median)")
    args = parser.parse_args()

    project = load_project(PROJECT)
    count = sum(len(env.stacks) for env in project.environments.values())
    print(f"# render benchmark: {platform.python_implementation()} {platform.python_version()}, {platform.machine()}")
    print(f"# {len(project.environments)} environments, {count} templates, median of {args.rounds} rounds\n")
    print("| environment | stack | ms | bytes |")
    print("|---|---|---:|---:|")
    per_environment: dict[str, float] = {}
    for env_name, env in project.environments.items():
        for stack in env.stacks:
            seconds = _median_seconds(lambda env=env, stack=stack: env.render(stack), args.rounds)
            per_environment[env_name] = per_environment.get(env_name, 0.0) + seconds
            print(f"| {env_name} | {stack} | {seconds * 1000:.2f} | {len(env.render(stack))} |")
    direct_total = sum(per_environment.values())

    load = _median_seconds(lambda: load_project(PROJECT), args.rounds)
    sceptre = _median_seconds(
        lambda: [render_environment(PROJECT, env) for env in project.environments], max(3, args.rounds // 4)
    )
    print()
    print("| in this process (warm) | ms |")
    print("|---|---:|")
    print(f"| load + validate every environment's settings | {load * 1000:.1f} |")
    print(f"| all {count} templates, blueprints directly | {direct_total * 1000:.1f} |")
    print(f"| all environments through Sceptre `generate` (offline) | {sceptre * 1000:.1f} |")
    print(f"\nSceptre / direct ratio: {sceptre / direct_total:.1f}x")

    runs = args.cold_runs
    python = sys.executable
    sceptre_all = _cold_seconds([python, "-c", _SCEPTRE_ALL, str(PROJECT)], runs)
    direct_all = _cold_seconds([python, "-c", _DIRECT_ALL, str(PROJECT)], runs)
    generate = _cold_seconds([str(SCEPTRE), "--dir", str(PROJECT), "generate", "dev"], runs)
    floor = _cold_seconds([str(SCEPTRE), "--help"], runs)  # Sceptre's own imports, nothing of ours
    rows = [
        ("every environment in one process, through Sceptre", *sceptre_all, direct_total, ALL_ENVIRONMENTS_BUDGET),
        ("every environment in one process, blueprints only", *direct_all, direct_total, None),
        ("`sceptre generate dev`", *generate, per_environment["dev"], GENERATE_BUDGET),
    ]
    header = f"cold process, imports included (median of {runs})"
    print(f"\n| {header} | wall s | CPU s | blueprints only s | ratio | budget s |")
    print("|---|---:|---:|---:|---:|---:|")
    for label, wall, cpu, blueprints_only, budget in rows:
        shown = f"{budget:.1f}" if budget is not None else "-"
        print(f"| {label} | {wall:.2f} | {cpu:.2f} | {blueprints_only:.3f} | {wall / blueprints_only:.0f}x | {shown} |")
    print(
        f"\n`sceptre --help` (Sceptre importing itself, nothing of ours): {floor[0]:.2f} s wall, {floor[1]:.2f} s CPU;"
        f" `generate dev` / `--help`: {generate[0] / floor[0]:.2f}"
    )
    print(f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs while measuring)")
    over = [label for label, wall, _, _, budget in rows if budget is not None and wall > budget]
    print("\nover budget: " + (", ".join(over) if over else "none"))


if __name__ == "__main__":
    main()

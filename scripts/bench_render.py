"""Benchmark: render every stack of every environment, in this process and in cold ones.

Prints, per template, the median build+serialise time over several rounds and the
template size; then the in-process totals (settings, blueprints directly, through
Sceptre's `generate` machinery offline); then cold processes, imports included, each the
median of several runs: every environment rendered in one process (through the library's
API, `load_project(...)` and `render`, as another project's code or tests do, and through
Sceptre, as `make render` does) and `sceptre generate dev` as a user runs it,
each against its budget, and `sceptre generate dev` of the same project with every stack a
one-resource file template: Sceptre's own cost for these stack configs (their Jinja, hooks and
resolvers), which the blueprints' `generate` is compared with, with the template cache filled
(by the warm-up run) and off. `cdk synth` of the equivalent CDK app took 3.8 s (for 24 stacks;
33 now): the all-environments budget, 0.8 s, is 4.75x faster (5x would be 0.76 s).

What Sceptre costs before and after our code is measured too: `sceptre --help` (Sceptre
importing itself) and Sceptre printing the templates `generate` returns (its CLI writes a
template body as a YAML string with PyYAML's pure-Python emitter). Cold processes run with
bytecode caching as Python does by default (a warm-up run writes it), whatever
PYTHONDONTWRITEBYTECODE says here. Timings vary with the machine and its load; compare the
ratios printed in the same run, not absolute numbers across machines.

    python -m scripts.bench_render [--rounds 20] [--cold-runs 7]
"""

from __future__ import annotations

import argparse
import functools
import os
import platform
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import yaml

from blueprints.deploy.rendering import render_environment
from blueprints.project import load_project

ROOT = Path(__file__).resolve().parent.parent
PROJECT = ROOT / "sceptre_project"
SCEPTRE = Path(sys.executable).parent / "sceptre"

# Budgets (2 cores): a whole `sceptre generate <env>`, and every environment in one process
# (4.75x faster than `cdk synth` of the equivalent CDK app: 3.8 s, for 24 stacks then).
GENERATE_BUDGET = 1.0
ALL_ENVIRONMENTS_BUDGET = 0.8
CDK_SYNTH_SECONDS = 3.8
# Cold processes cache bytecode, as Python does unless told not to.
COLD_ENVIRONMENT = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}

_SCEPTRE_ALL = (
    "import sys\n"
    "from blueprints.project import load_project\n"
    "from blueprints.deploy.rendering import render_environment\n"
    "for env in load_project(sys.argv[1]).environments:\n"
    "    render_environment(sys.argv[1], env)\n"
)
_DIRECT_ALL = (
    "import sys\n"
    "from blueprints.project import load_project\n"
    "for env in load_project(sys.argv[1]).environments.values():\n"
    "    for stack in env.stacks:\n"
    "        env.render(stack)\n"
)


# Sceptre's own cost for this project: the same stack configs (hooks, resolvers, Jinja) with
# each template a one-resource file, rendered by Sceptre's file handler.
ONE_RESOURCE = '{"Resources": {"Handle": {"Type": "AWS::CloudFormation::WaitConditionHandle"}}}\n'
GENERATE_GOAL = 1.1  # `sceptre generate dev` within 1.1x of Sceptre's own cost for the project
CDK_SYNTH_GOAL = 0.1  # every environment through the library within 0.1x `cdk synth`


def one_resource_project(directory: Path) -> Path:
    """A copy of the Sceptre project whose stacks name a one-resource file template."""
    copy = directory / "sceptre_project"
    shutil.copytree(PROJECT, copy, symlinks=True)
    (copy / "templates").mkdir()
    (copy / "templates" / "one.json").write_text(ONE_RESOURCE)
    for stack in (copy / "stacks").glob("*.yaml"):
        text, count = re.subn(r"^template:\n(  .*\n)+", "template:\n  path: one.json\n", stack.read_text(), flags=re.M)
        if count != 1:
            raise SystemExit(f"{stack}: no `template:` block to replace")
        stack.write_text(text)
    return copy


def _median_seconds(action: Callable[[], object], rounds: int) -> float:
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        action()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def _cold_seconds(argv: list[str], runs: int, extra: dict[str, str] | None = None) -> tuple[float, float]:
    """Median wall and CPU (user + system) seconds of a fresh process, interpreter start and
    imports included. CPU time says more than wall time on a busy machine."""

    def run() -> float:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        environment = {**COLD_ENVIRONMENT, **(extra or {})}
        subprocess.run(argv, check=True, cwd=ROOT, stdout=subprocess.DEVNULL, env=environment)  # noqa: S603
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        return after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime

    run()  # warm the file system cache and the bytecode cache first
    cpu: list[float] = []
    wall = _median_seconds(lambda: cpu.append(run()), runs)
    return wall, statistics.median(cpu)


# One stack rendered in a fresh process: the project loaded (every stack's settings validated)
# and dev's zone rendered, which imports the zone's template alone (blueprints.project.registry).
_ONE_STACK = (
    "import sys\n"
    "from blueprints.project import load_project\n"
    "load_project(sys.argv[1]).environment('dev').render('zone')\n"
)


def print_one_stack(runs: int) -> None:
    """Cold processes rendering one stack, through the library and through Sceptre (the
    template cache off): what a command pays for the stack it renders."""
    rows = (
        ("`load_project` + render dev's `zone` (the library's API)", [sys.executable, "-c", _ONE_STACK, str(PROJECT)]),
        (
            "`sceptre generate dev/zone.yaml`, the template cache off",
            [str(SCEPTRE), "--dir", str(PROJECT), "generate", "dev/zone.yaml"],
        ),
    )
    print(f"\n| one stack, cold process (median of {runs}) | wall s | CPU s |")
    print("|---|---:|---:|")
    for label, argv in rows:
        wall, cpu = _cold_seconds(argv, runs, {"BLUEPRINTS_TEMPLATE_CACHE": "off"})
        print(f"| {label} | {wall:.2f} | {cpu:.2f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=20, help="repetitions per measurement (median is reported)")
    parser.add_argument("--cold-runs", type=int, default=7, help="fresh processes per cold measurement (median)")
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
            seconds = _median_seconds(functools.partial(env.render, stack), args.rounds)
            per_environment[env_name] = per_environment.get(env_name, 0.0) + seconds
            print(f"| {env_name} | {stack} | {seconds * 1000:.2f} | {len(env.render(stack))} |")
    direct_total = sum(per_environment.values())
    dev_bodies = ["---\n" + project.environments["dev"].render(stack) for stack in project.environments["dev"].stacks]

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
    direct_all = _cold_seconds([python, "-c", _DIRECT_ALL, str(PROJECT)], runs)
    sceptre_all = _cold_seconds([python, "-c", _SCEPTRE_ALL, str(PROJECT)], runs)
    generate = _cold_seconds([str(SCEPTRE), "--dir", str(PROJECT), "generate", "dev"], runs)
    uncached = _cold_seconds(
        [str(SCEPTRE), "--dir", str(PROJECT), "generate", "dev"], runs, {"BLUEPRINTS_TEMPLATE_CACHE": "off"}
    )
    with tempfile.TemporaryDirectory() as directory:
        baseline = one_resource_project(Path(directory))
        one_resource = _cold_seconds([str(SCEPTRE), "--dir", str(baseline), "generate", "dev"], runs)
    floor = _cold_seconds([str(SCEPTRE), "--help"], runs)  # Sceptre's own imports, nothing of ours
    printing = _median_seconds(
        lambda: [yaml.safe_dump(body, default_flow_style=False, explicit_start=True) for body in dev_bodies], 3
    )
    rows = [
        (
            "every environment in one process, through the blueprints (the library's API)",
            *direct_all,
            ALL_ENVIRONMENTS_BUDGET,
        ),
        ("every environment in one process, through Sceptre", *sceptre_all, None),
        ("`sceptre generate dev`", *generate, GENERATE_BUDGET),
        ("`sceptre generate dev`, the template cache off", *uncached, None),
        ("`sceptre generate dev`, the same stack configs with one-resource file templates", *one_resource, None),
    ]
    header = f"cold process, imports included (median of {runs})"
    print(f"\n| {header} | wall s | CPU s | budget s |")
    print("|---|---:|---:|---:|")
    for label, wall, cpu, budget in rows:
        print(f"| {label} | {wall:.2f} | {cpu:.2f} | {f'{budget:.1f}' if budget is not None else '-'} |")
    print(
        f"\n`cdk synth` of the equivalent app / every environment through the blueprints:"
        f" {CDK_SYNTH_SECONDS / direct_all[0]:.1f}x (budget: {CDK_SYNTH_SECONDS / ALL_ENVIRONMENTS_BUDGET:.2f}x)"
    )
    sceptre_own = floor[0] + printing
    print(
        f"`sceptre generate dev`: Sceptre importing itself (`sceptre --help`) {floor[0]:.2f} s"
        f" + printing dev's {len(dev_bodies)} templates as YAML strings {printing:.2f} s"
        f" = {sceptre_own:.2f} s of Sceptre's own, {sceptre_own / GENERATE_BUDGET:.0%} of the budget;"
        f" the rest, {generate[0] - sceptre_own:.2f} s, is reading the stack configs and rendering"
    )
    print(
        "\nspeed goals: `sceptre generate dev` / Sceptre's own cost for the project (one-resource templates):"
        f" {generate[0] / one_resource[0]:.2f}, {uncached[0] / one_resource[0]:.2f} with the template cache off"
        f" (goal {GENERATE_GOAL}); every environment through the library / `cdk synth`:"
        f" {direct_all[0] / CDK_SYNTH_SECONDS:.2f} (goal {CDK_SYNTH_GOAL})"
    )
    print_one_stack(runs)
    print(f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs while measuring)")
    over = [label for label, wall, _, budget in rows if budget is not None and wall > budget]
    print("\nover budget: " + (", ".join(over) if over else "none"))


if __name__ == "__main__":
    main()

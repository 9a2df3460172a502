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
(by the warm-up run) and off.

Against CDK: benchmarks/cdk is the same project as a CDK app (plain JavaScript). When its
node_modules is installed (`make bench-cdk` runs `npm ci` there, then this with `--cdk`), the
same run times cold `cdk synth --quiet` (the CLI, as users run it) and `node app.js` alone
(the app's own synthesis, with the context the CLI would pass), and prints every environment
through the library against both (goal: 0.1x), then each stack's resource count, ours and
CDK's. Without node_modules, the figure recorded on another day (3.8 s) stands in, and says so.

What Sceptre costs before and after our code is measured too: `sceptre --help` (Sceptre
importing itself) and Sceptre printing the templates `generate` returns (its CLI writes a
template body as a YAML string with PyYAML's pure-Python emitter). Cold processes run with
bytecode caching as Python does by default (a warm-up run writes it), whatever
PYTHONDONTWRITEBYTECODE says here. Timings vary with the machine and its load; compare the
ratios printed in the same run, not absolute numbers across machines.

    python -m scripts.bench_render [--rounds 20] [--cold-runs 7] [--cdk] [--cdk-counts]
"""

from __future__ import annotations

import argparse
import functools
import json
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
from blueprints.project import Project, load_project

ROOT = Path(__file__).resolve().parent.parent
PROJECT = ROOT / "sceptre_project"
SCEPTRE = Path(sys.executable).parent / "sceptre"

# Budgets (2 cores): a whole `sceptre generate <env>`, and every environment in one process.
GENERATE_BUDGET = 1.0
ALL_ENVIRONMENTS_BUDGET = 0.8
# `cdk synth` of the equivalent CDK app as recorded on another day (24 stacks then, 33 now):
# used only when benchmarks/cdk has no node_modules to measure it with.
CDK_SYNTH_SECONDS = 3.8
CDK_APP = ROOT / "benchmarks" / "cdk"
NODE = shutil.which("node") or "node"
NPX = shutil.which("npx") or "npx"
# No version check, notices or telemetry: `cdk synth` must not touch the network.
CDK_ENVIRONMENT = {"CDK_DISABLE_VERSION_CHECK": "1", "CDK_DISABLE_CLI_TELEMETRY": "true"}
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


def _run(argv: list[str], cwd: Path, environment: dict[str, str]) -> None:
    """Run a command, its output discarded; exit with the end of its errors if it fails."""
    done = subprocess.run(  # noqa: S603
        argv, check=False, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=environment
    )
    if done.returncode:
        # Node prints minified library source with its stack traces: only the ends of lines.
        tail = "\n".join(line[:300] for line in done.stderr.splitlines()[-15:])
        raise SystemExit(f"{' '.join(argv)} failed ({done.returncode}):\n{tail}")


def _cold_seconds(
    argv: list[str], runs: int, extra: dict[str, str] | None = None, cwd: Path = ROOT
) -> tuple[float, float]:
    """Median wall and CPU (user + system) seconds of a fresh process, interpreter start and
    imports included. CPU time says more than wall time on a busy machine."""

    def run() -> float:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        environment = {**COLD_ENVIRONMENT, **(extra or {})}
        _run(argv, cwd, environment)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        return after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime

    run()  # warm the file system cache and the bytecode cache first
    cpu: list[float] = []
    wall = _median_seconds(lambda: cpu.append(run()), runs)
    return wall, statistics.median(cpu)


# A cold-process table row (label, wall s, CPU s, budget s) and a stack's resource counts
# (environment, stack, ours, CDK's, of which CDK's helpers).
Row = tuple[str, float, float, float | None]
Count = tuple[str, str, int, int, int]


def cdk_context() -> dict[str, object]:
    """The context `cdk synth` gives the app: cdk.json's feature flags and cdk.context.json's
    cached lookups (the availability zones)."""
    context: dict[str, object] = json.loads((CDK_APP / "cdk.json").read_text())["context"]
    context.update(json.loads((CDK_APP / "cdk.context.json").read_text()))
    return context


def synthesize_cdk_app(outdir: Path, context: dict[str, object] | None = None) -> None:
    """Run the CDK app once (`node app.js`), its templates written to `outdir`."""
    environment = {
        **os.environ,
        **CDK_ENVIRONMENT,
        "CDK_OUTDIR": str(outdir),
        "CDK_CONTEXT_JSON": json.dumps(context or cdk_context()),
    }
    _run([NODE, "app.js"], CDK_APP, environment)


def _is_cdk_helper(logical_id: str, resource_type: str) -> bool:
    """CDK's own machinery: custom resources and the provider functions and roles behind them."""
    return resource_type.startswith("Custom::") or logical_id.startswith("Custom")


def resource_counts(project: Project, cdk_out: Path) -> list[Count]:
    """Per stack: our resource count, CDK's (its AWS::CDK::Metadata left out) and how many of
    CDK's are its own helpers, from templates `node app.js` wrote to `cdk_out`."""
    rows = []
    for env_name, env in project.environments.items():
        for stack in env.stacks:
            ours = len(json.loads(env.render(stack))["Resources"])
            path = cdk_out / f"{project.name}-{env_name}-{stack}.template.json"
            if not path.exists():
                raise SystemExit(f"{path.name}: benchmarks/cdk/app.js has no stack {stack} for {env_name}")
            resources = json.loads(path.read_text())["Resources"]
            theirs = {key: value["Type"] for key, value in resources.items() if value["Type"] != "AWS::CDK::Metadata"}
            helpers = sum(_is_cdk_helper(key, kind) for key, kind in theirs.items())
            rows.append((env_name, stack, ours, len(theirs), helpers))
    return rows


def print_cdk_counts(project: Project) -> None:
    """Synthesize the CDK app once and print each stack's resource counts, ours and CDK's."""
    with tempfile.TemporaryDirectory() as directory:
        synthesize_cdk_app(Path(directory))
        print_resource_counts(resource_counts(project, Path(directory)))


def print_resource_counts(rows: list[Count]) -> None:
    print("\n| environment | stack | ours | CDK | of which CDK's helpers | CDK / ours |")
    print("|---|---|---:|---:|---:|---:|")
    for env_name, stack, ours, theirs, helpers in rows:
        print(f"| {env_name} | {stack} | {ours} | {theirs} | {helpers} | {theirs / ours:.2f} |")
    ours_total = sum(row[2] for row in rows)
    theirs_total = sum(row[3] for row in rows)
    helpers_total = sum(row[4] for row in rows)
    ratio = theirs_total / ours_total
    print(f"| all | {len(rows)} stacks | {ours_total} | {theirs_total} | {helpers_total} | {ratio:.2f} |")
    outside = [
        f"{env} {stack}" for env, stack, ours, theirs, helpers in rows if abs(theirs - helpers - ours) > ours / 4
    ]
    print("stacks whose CDK count, helpers left out, is more than 25% from ours: " + (", ".join(outside) or "none"))


def measure_cdk_app(project: Project, runs: int) -> tuple[list[Row], list[Count]]:
    """Cold `cdk synth` of benchmarks/cdk and `node app.js` alone, each as it comes and with
    CDK's built-in CloudFormation validation off; and the resource counts of the app's templates."""
    rows: list[Row] = []
    with tempfile.TemporaryDirectory() as directory:
        out = Path(directory)
        # CDK checks every template it writes against CloudFormation's rules (a WebAssembly
        # linter) unless CDK_VALIDATION=false: the most of the app's synthesis.
        for validation, label in (({}, ""), ({"CDK_VALIDATION": "false"}, ", CDK_VALIDATION=false")):
            # The CLI as users run it: it runs the app (`node app.js`, from cdk.json) and reads its output.
            cli = [NPX, "--no-install", "cdk", "synth", "--quiet", "--no-notices", "--output", str(out / "cli")]
            rows.append(
                (
                    f"`cdk synth --quiet` of the equivalent CDK app (benchmarks/cdk, every environment){label}",
                    *_cold_seconds(cli, runs, {**CDK_ENVIRONMENT, **validation}, cwd=CDK_APP),
                    None,
                )
            )
            app = {"CDK_OUTDIR": str(out / "app"), "CDK_CONTEXT_JSON": json.dumps(cdk_context())}
            rows.append(
                (
                    f"`node app.js`, the CDK app's own synthesis{label}",
                    *_cold_seconds([NODE, "app.js"], runs, {**CDK_ENVIRONMENT, **app, **validation}, cwd=CDK_APP),
                    None,
                )
            )
        counts = resource_counts(project, out / "app")
    return rows, counts


def print_cdk_comparison(direct_all: float, rows: list[Row], counts: list[Count]) -> float:
    """Print the library against the CDK app measured in this run (or say that the recorded
    figure stands in); return `cdk synth`'s seconds."""
    if not rows:
        print(
            f"\n`cdk synth`: NOT MEASURED, the figure recorded on another day ({CDK_SYNTH_SECONDS} s, 24 stacks then)"
            " stands in: benchmarks/cdk/node_modules is absent; `make bench-cdk` installs it and measures"
        )
        return CDK_SYNTH_SECONDS
    versions = {
        name: json.loads((CDK_APP / "node_modules" / name / "package.json").read_text())["version"]
        for name in ("aws-cdk-lib", "constructs", "aws-cdk")
    }
    node = subprocess.run([NODE, "--version"], capture_output=True, text=True, check=True).stdout.strip()  # noqa: S603
    print(f"\nCDK: node {node}, " + ", ".join(f"{name} {version}" for name, version in versions.items()))
    print(f"every environment through the library / CDK, measured in this run (goal {CDK_SYNTH_GOAL}):")
    for label, wall, _, _ in rows:
        print(f"  / {label}: {direct_all / wall:.3f}")
    print_resource_counts(counts)
    return rows[0][1]


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


def print_in_process(project: Project, rounds: int) -> list[str]:
    """Each template's build and serialisation, then every template and the settings, warm in
    this process; dev's bodies, as `sceptre generate` prints them."""
    count = sum(len(env.stacks) for env in project.environments.values())
    print(f"# render benchmark: {platform.python_implementation()} {platform.python_version()}, {platform.machine()}")
    print(f"# {len(project.environments)} environments, {count} templates, median of {rounds} rounds\n")
    print("| environment | stack | ms | bytes |")
    print("|---|---|---:|---:|")
    per_environment: dict[str, float] = {}
    for env_name, env in project.environments.items():
        for stack in env.stacks:
            seconds = _median_seconds(functools.partial(env.render, stack), rounds)
            per_environment[env_name] = per_environment.get(env_name, 0.0) + seconds
            print(f"| {env_name} | {stack} | {seconds * 1000:.2f} | {len(env.render(stack))} |")
    direct_total = sum(per_environment.values())
    dev_bodies = ["---\n" + project.environments["dev"].render(stack) for stack in project.environments["dev"].stacks]

    load = _median_seconds(lambda: load_project(PROJECT), rounds)
    sceptre = _median_seconds(
        lambda: [render_environment(PROJECT, env) for env in project.environments], max(3, rounds // 4)
    )
    print()
    print("| in this process (warm) | ms |")
    print("|---|---:|")
    print(f"| load + validate every environment's settings | {load * 1000:.1f} |")
    print(f"| all {count} templates, blueprints directly | {direct_total * 1000:.1f} |")
    print(f"| all environments through Sceptre `generate` (offline) | {sceptre * 1000:.1f} |")
    print(f"\nSceptre / direct ratio: {sceptre / direct_total:.1f}x")
    return dev_bodies


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=20, help="repetitions per measurement (median is reported)")
    parser.add_argument("--cold-runs", type=int, default=7, help="fresh processes per cold measurement (median)")
    parser.add_argument(
        "--cdk",
        action="store_true",
        help="measure `cdk synth` of benchmarks/cdk (an error if its node_modules is absent)",
    )
    parser.add_argument(
        "--cdk-counts", action="store_true", help="only synthesize benchmarks/cdk once and compare resource counts"
    )
    return parser.parse_args()


def _cdk_installed(required: bool) -> bool:
    """Whether benchmarks/cdk's packages are installed; exit if they are required and absent."""
    installed = (CDK_APP / "node_modules").is_dir()
    if required and not installed:
        raise SystemExit("benchmarks/cdk/node_modules is absent: `make bench-cdk` installs it (npm ci) and measures")
    return installed


def main() -> None:
    args = _arguments()
    project = load_project(PROJECT)
    measure_cdk = _cdk_installed(args.cdk or args.cdk_counts)
    if args.cdk_counts:
        print_cdk_counts(project)
        return
    dev_bodies = print_in_process(project, args.rounds)

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
    cdk_rows, counts = measure_cdk_app(project, runs) if measure_cdk else ([], [])
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
        *cdk_rows,
    ]
    header = f"cold process, imports included (median of {runs})"
    print(f"\n| {header} | wall s | CPU s | budget s |")
    print("|---|---:|---:|---:|")
    for label, wall, cpu, budget in rows:
        print(f"| {label} | {wall:.2f} | {cpu:.2f} | {f'{budget:.1f}' if budget is not None else '-'} |")
    cdk_synth = print_cdk_comparison(direct_all[0], cdk_rows, counts)
    print(
        f"`cdk synth` of the equivalent app / every environment through the blueprints:"
        f" {cdk_synth / direct_all[0]:.1f}x (budget: {cdk_synth / ALL_ENVIRONMENTS_BUDGET:.2f}x)"
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
        f" (goal {GENERATE_GOAL}); every environment through the library / `cdk synth`"
        f"{'' if measure_cdk else ' (recorded, not measured)'}: {direct_all[0] / cdk_synth:.2f} (goal {CDK_SYNTH_GOAL})"
    )
    print_one_stack(runs)
    print(f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs while measuring)")
    over = [label for label, wall, _, budget in rows if budget is not None and wall > budget]
    print("\nover budget: " + (", ".join(over) if over else "none"))


if __name__ == "__main__":
    main()

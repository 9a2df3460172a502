"""Render environments through Sceptre, offline, and print what each stack holds.

python scripts/summary.py --env dev              # one environment
python scripts/summary.py --env all --write DIR  # also write DIR/<env>/<stack>.json and
                                                 # DIR/<env>/bootstrap.json (its account's bootstrap)
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

from blueprints.core import ConfigError
from blueprints.deploy.rendering import dependency_depth, render_environment
from blueprints.project import load_project

PROJECT = Path(__file__).resolve().parent.parent / "sceptre_project"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--env", default="dev", help="environment name, or 'all'")
    parser.add_argument("--write", type=Path, help="directory to write the rendered templates to")
    args = parser.parse_args()
    try:
        project = load_project(PROJECT)
        names = sorted(project.environments) if args.env == "all" else [project.environment(args.env).name]
    except ConfigError as err:
        print(f"configuration error: {err}", file=sys.stderr)
        return 2
    for env in names:
        stacks = render_environment(PROJECT, env)
        levels = dependency_depth(stacks)
        region = project.environments[env].region
        print(f"\n{env}: {len(stacks)} stacks, dependency depth {max(levels.values())}, region {region}")
        print(f"{'level':>5}  {'stack':<12} {'region':<10} {'resources':>9} {'bytes':>7}  needs")
        for name, stack in sorted(stacks.items(), key=lambda kv: (levels[kv[0]], kv[0])):
            template = json.loads(stack.template)
            needs = ", ".join(d.rpartition("/")[2] for d in stack.dependencies) or "-"
            print(
                f"{levels[name]:>5}  {name:<12} {stack.region:<10} {len(template['Resources']):>9} "
                f"{len(stack.template):>7}  {needs}"
            )
            if args.write:
                out = args.write / env / f"{name}.json"
                out.parent.mkdir(parents=True, exist_ok=True)
                out.write_text(_readable(stack.template))
        if args.write:
            (args.write / env / "bootstrap.json").write_text(_readable(project.environments[env].bootstrap().render()))
        types = Counter(r["Type"] for s in stacks.values() for r in json.loads(s.template)["Resources"].values())
        print("  resource types: " + ", ".join(f"{t.split('::', 1)[1]} x{n}" for t, n in sorted(types.items())))
    if args.write:
        print(f"\ntemplates written under {args.write}/")
    return 0


def _readable(template: str) -> str:
    """A template indented for people (CloudFormation gets it compact)."""
    return json.dumps(json.loads(template), indent=2, sort_keys=True) + "\n"


if __name__ == "__main__":
    sys.exit(main())

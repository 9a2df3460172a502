"""Print the API's OpenAPI document (made from the API contract), or (--write) refresh
docs/openapi.json. A test keeps that file equal to what this prints."""

from __future__ import annotations

import argparse
from importlib.metadata import version
from pathlib import Path

from blueprints.project import load_project
from blueprints.reports.openapi import Server, render
from blueprints.stacks.identity import token_url

ROOT = Path(__file__).resolve().parent.parent
DOCUMENT = ROOT / "docs" / "openapi.json"


def build() -> str:
    """The document, with one server per environment (its domain, in promotion order) and
    where its callers get tokens."""
    project = load_project(ROOT / "sceptre_project")
    servers = {
        name: Server(
            url=f"https://{env.settings.domain}",
            region=env.region,
            token_url=token_url(env.context, env.settings.account_id, env.region),
        )
        for name, env in project.environments.items()
    }
    return render(servers, version("payments-blueprints"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--write", action="store_true", help=f"rewrite {DOCUMENT.relative_to(ROOT)}")
    args = parser.parse_args()
    if args.write:
        DOCUMENT.write_text(build())
        print(f"wrote {DOCUMENT.relative_to(ROOT)}")
    else:
        print(build(), end="")


if __name__ == "__main__":
    main()

"""Add an environment: scaffold config/<name>/ from an existing environment.

    python -m scripts.new_environment --name qa --from staging --account 444444444444
    (make environment NAME=qa FROM=staging ACCOUNT=444444444444)

- config/<name>/config.yaml: FROM's, with what must be unique made unique: the AWS account
  (`environment.account_id`: ACCOUNT, refused if another environment has it), the domain (FROM's
  label replaced by NAME, e.g. api.staging.example.com -> api.qa.example.com; refused if taken)
  and every stack's `cidr` (the next free /16 in 10.0.0.0/8, overlapping no environment).
  Every other setting and every comment is kept, except that each value and comment naming FROM
  as a word names NAME (payments-staging-alarms@example.com -> payments-qa-alarms@example.com).
  Printed: what was made unique, what was rewritten, and what to review: every subscription
  (a rewritten address may not exist; one copied as it is still reaches FROM's people), every
  other rewritten e-mail address, and every value or comment naming another environment.
- config/<name>/<stack>.yaml: one relative link to ../../stacks/<stack>.yaml per stack file
  FROM has.
- config/config.yaml: NAME added to `environments:` right after FROM (promotion order), the
  rest of the file as it was.

Nothing is written when the request is refused (NAME exists or is not a valid environment
name, FROM does not exist, the domain is taken, ...); after writing, the whole project is
validated with `load_project` and every change is rolled back if it fails. Exits 1 when
refused or rolled back.
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import re
import shutil
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from blueprints.core import ConfigError, Context
from blueprints.project import Project, load_project
from blueprints.project.loader import ENVIRONMENT_NAME
from blueprints.reports.consistency import NEUTRAL_NAME
from blueprints.reports.environments import settings_table

ROOT = Path(__file__).resolve().parent.parent
PROJECT_DIR = ROOT / "sceptre_project"
POOL = ipaddress.IPv4Network("10.0.0.0/8")
STACKS_LINK = "../../stacks/{}"


class Refused(Exception):
    """The environment cannot be added as asked; nothing was changed."""


@dataclass
class Plan:
    """Everything the command writes, computed before anything is written."""

    project_dir: Path
    name: str
    source: str
    config_text: str  # config/<name>/config.yaml
    root_text: str  # config/config.yaml, with the name added
    links: dict[str, str]  # file name -> link target
    changes: list[str] = field(default_factory=list)  # what was made unique
    rewritten: list[str] = field(default_factory=list)  # values and comments naming the source, renamed
    review: list[str] = field(default_factory=list)  # what the user must look at before launching

    @property
    def group(self) -> Path:
        return self.project_dir / "config" / self.name


def plan(project_dir: Path, name: str, source: str, account: str) -> Plan:
    """What adding `name` from `source` in AWS account `account` writes; Refused (nothing
    written) when it cannot."""
    config_dir = project_dir / "config"
    project = _check_request(project_dir, name, source)
    if not re.fullmatch(r"\d{12}", account):
        raise Refused(f"{account!r} is not an AWS account id (12 digits)")
    owner = next((e.name for e in project.environments.values() if e.settings.account_id == account), None)
    if owner is not None:
        raise Refused(f"account {account} is {owner}'s: each environment has its own account")
    root_text = _insert_environment(_read(config_dir / "config.yaml"), name, source)
    config_text, changes = _made_unique(_read(config_dir / source / "config.yaml"), project, source, name)
    config_text, changes = _with_account(config_text, account), [f"account_id: {account}", *changes]
    others = [env for env in project.environments if env != source]
    renamed = _renamed(config_text, source, name, others)
    links = _links(project_dir, source)
    return Plan(project_dir, name, source, renamed.text, root_text, links, changes, renamed.rewritten, renamed.review)


def _check_request(project_dir: Path, name: str, source: str) -> Project:
    """The project as it is, if `name` may be added from `source`; else Refused."""
    config_dir = project_dir / "config"
    if not ENVIRONMENT_NAME.fullmatch(name):
        raise Refused(f"{name!r} is not a valid environment name: 2-16 lower-case letters and digits, first a letter")
    if name == NEUTRAL_NAME:
        raise Refused(f"{name!r} is reserved: the consistency check renders every environment under that name")
    if os.path.lexists(config_dir / name):
        raise Refused(f"environment {name!r} exists: config/{name} is there already")
    try:
        project = load_project(project_dir)
    except ConfigError as err:
        raise Refused(f"the project does not load as it is, fix it first: {err}") from err
    if name in project.environments:
        raise Refused(f"environment {name!r} exists")
    if source not in project.environments:
        known = ", ".join(project.environments)
        raise Refused(f"no environment {source!r} to copy (the environments: {known})")
    try:
        Context(project=project.name, environment=name)
    except ValueError as err:
        raise Refused(str(err)) from err
    return project


def _made_unique(text: str, project: Project, source: str, name: str) -> tuple[str, list[str]]:
    """The source's config.yaml with its domain and every stack's `cidr` made unique."""
    document = yaml.compose(text, Loader=yaml.SafeLoader)
    edits: list[tuple[yaml.ScalarNode, str]] = []
    changes: list[str] = []
    domain_node = _find(document, "environment", "domain")
    if domain_node is not None:
        domain = _new_domain(domain_node.value, source, name)
        owner = next((e.name for e in project.environments.values() if e.settings.domain == domain), None)
        if owner is not None:
            raise Refused(f"the domain {domain} is taken: it is {owner}'s (set it apart in config/{source} first)")
        edits.append((domain_node, domain))
        changes.append(f"domain: {domain_node.value} -> {domain}")
    taken = _cidrs(project)
    stacks = _find(document, "environment", "stacks")
    for stack, settings in stacks.value if isinstance(stacks, yaml.MappingNode) else []:
        cidr_node = _find(settings, "cidr")
        if cidr_node is not None:
            cidr = _free_cidr(taken)
            taken.append(cidr)
            edits.append((cidr_node, str(cidr)))
            changes.append(f"{stack.value}.cidr: {cidr_node.value} -> {cidr} (the next free /16 in {POOL})")
    return _replace(text, edits), changes


def _with_account(text: str, account: str) -> str:
    node = _find(yaml.compose(text, Loader=yaml.SafeLoader), "environment", "account_id")
    if node is None:
        raise Refused("the source has no environment.account_id to replace")
    node.style = '"'  # an account id is a string: YAML would read 012345678901 as a number
    return _replace(text, [(node, account)])


def _links(project_dir: Path, source: str) -> dict[str, str]:
    """One link to the shared stack definition per stack file of the source."""
    links = {}
    for path in sorted((project_dir / "config" / source).iterdir()):
        if path.name == "config.yaml" or path.suffix not in (".yaml", ".yml"):
            continue
        if not (project_dir / "stacks" / path.name).is_file():
            raise Refused(f"config/{source}/{path.name} has no stack definition stacks/{path.name} to link to")
        links[path.name] = STACKS_LINK.format(path.name)
    return links


def apply(plan: Plan, validate: Callable[[Path], Project] = load_project) -> Project:
    """Write the plan, then validate the whole project; on any failure put everything back."""
    root_path = plan.project_dir / "config" / "config.yaml"
    original = root_path.read_bytes()
    created = False
    try:
        plan.group.mkdir()
        created = True
        (plan.group / "config.yaml").write_bytes(plan.config_text.encode())
        for file_name, target in plan.links.items():
            (plan.group / file_name).symlink_to(target)
        root_path.write_bytes(plan.root_text.encode())
        return validate(plan.project_dir)
    except BaseException:
        if created:
            shutil.rmtree(plan.group)
        root_path.write_bytes(original)
        raise


def add_environment(project_dir: Path, name: str, source: str, account: str) -> tuple[Plan, Project]:
    new = plan(project_dir, name, source, account)
    try:
        return new, apply(new)
    except (ValueError, OSError) as err:  # ConfigError is a ValueError
        raise Refused(f"the new project does not validate, every change was rolled back: {err}") from err


# --- config/config.yaml ------------------------------------------------------------------


def _insert_environment(text: str, name: str, source: str) -> str:
    """`environments:` with `name` right after `source`, the rest of the text untouched."""
    sequence = _find(yaml.compose(text, Loader=yaml.SafeLoader), "environments")
    if not isinstance(sequence, yaml.SequenceNode):
        raise Refused("config/config.yaml has no `environments:` list")
    item = next((n for n in sequence.value if isinstance(n, yaml.ScalarNode) and n.value == source), None)
    if item is None:
        raise Refused(f"{source!r} is not listed in config/config.yaml's environments")
    end = item.end_mark.index
    if sequence.flow_style:  # environments: [dev, staging, prod]
        return text[:end] + f", {name}" + text[end:]
    line_start = text.rfind("\n", 0, item.start_mark.index) + 1  # environments:\n  - dev\n  - staging
    line_end = text.find("\n", end)
    line_end = len(text) if line_end < 0 else line_end
    return text[:line_end] + "\n" + text[line_start : item.start_mark.index] + name + text[line_end:]


# --- config/<name>/config.yaml ------------------------------------------------------------


def _find(node: Any, *keys: str) -> Any:
    """The node at `keys` in a composed YAML mapping, or None."""
    for key in keys:
        if not isinstance(node, yaml.MappingNode):
            return None
        node = next((v for k, v in node.value if isinstance(k, yaml.ScalarNode) and k.value == key), None)
    return node


def _replace(text: str, edits: list[tuple[yaml.ScalarNode, str]]) -> str:
    """The text with each scalar's value replaced in place (quotes kept)."""
    for node, value in sorted(edits, key=lambda edit: edit[0].start_mark.index, reverse=True):
        quote = node.style if node.style in ("'", '"') else ""
        text = text[: node.start_mark.index] + quote + value + quote + text[node.end_mark.index :]
    return text


# Set by `_made_unique` and `_with_account`, not renamed word by word.
_MADE_UNIQUE = ("environment.domain", "environment.account_id")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+")


@dataclass
class Renamed:
    """A config.yaml with the source's name rewritten, and what was rewritten or needs review."""

    text: str
    rewritten: list[str] = field(default_factory=list)
    review: list[str] = field(default_factory=list)


def _word(env: str) -> re.Pattern[str]:
    """`env` as a word: not inside a longer run of letters and digits (staging in
    payments-staging-alarms@, api.staging.example.com; not in stagingarea)."""
    return re.compile(rf"(?<![A-Za-z0-9]){re.escape(env)}(?![A-Za-z0-9])")


def _renamed(text: str, source: str, name: str, others: list[str]) -> Renamed:
    """Every value and comment naming `source` as a word made to name `name`, in place (quotes,
    layout and line numbers kept); subscriptions, rewritten e-mail addresses and whatever names
    one of the `others` environments listed for review, in the order of the file."""
    document = yaml.compose(text, Loader=yaml.SafeLoader)
    source_word, other_words = _word(source), {other: _word(other) for other in others}
    edits: dict[int, tuple[int, str]] = {}  # start -> (end, replacement)
    rewritten: list[tuple[int, str]] = []  # (line, what)
    review: list[tuple[int, str]] = []
    seen: set[int] = set()  # an alias yields its anchor's node again
    for path, node in _scalars(document):
        if path in _MADE_UNIQUE or node.start_mark.index in seen:
            continue
        seen.add(node.start_mark.index)
        line, raw = node.start_mark.line + 1, text[node.start_mark.index : node.end_mark.index]
        where, before, topics = f"line {line}, {path}", _shown(node.value), _subscribed(path)
        if source_word.search(raw):
            value = source_word.sub(name, node.value)
            edits[node.start_mark.index] = (node.end_mark.index, source_word.sub(name, raw))
            rewritten.append((line, f"{where}: {before} -> {_shown(value)}"))
            if topics or _EMAIL.fullmatch(value):
                confirmation = " (the subscription's confirmation is sent there)" if topics else ""
                review.append((line, f"{where}: {value} was {source}'s {before}: make sure it exists{confirmation}"))
        elif topics:
            review.append((line, f"{where}: {before} is {source}'s, copied as it is: {name}'s {topics} reach it too"))
        review.extend(
            (line, f"{where}: {before} names {other}: still true of {name}?")
            for other, word in other_words.items()
            if word.search(node.value)
        )
    for start, end in _comments(text, document):
        comment, line = text[start:end], text.count("\n", 0, start) + 1
        if source_word.search(comment):
            edits[start] = (end, source_word.sub(name, comment))
            rewritten.append((line, f"line {line}, comment: {comment!r} -> {source_word.sub(name, comment)!r}"))
        review.extend(
            (line, f"line {line}, comment {comment!r} names {other}: still true of {name}?")
            for other, word in other_words.items()
            if word.search(comment)
        )
    for start, (end, replacement) in sorted(edits.items(), reverse=True):
        text = text[:start] + replacement + text[end:]
    return Renamed(text, [what for _, what in sorted(rewritten)], [what for _, what in sorted(review)])


def _shown(value: str) -> str:
    """A value on one line: as it is, or quoted when it spans lines."""
    return repr(value) if "\n" in value else value


def _scalars(node: Any, path: str = "") -> Iterator[tuple[str, yaml.ScalarNode]]:
    """Every scalar value under `node` with its path (`environment.alarm_subscriptions[0].endpoint`);
    mapping keys are setting names, not values."""
    if isinstance(node, yaml.ScalarNode):
        yield path, node
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            yield from _scalars(item, f"{path}[{index}]")
    elif isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            yield from _scalars(value, f"{path}.{key.value}" if path else str(key.value))


def _subscribed(path: str) -> str:
    """What a subscription's endpoint (an address, a URL, a number a topic delivers to)
    receives: "alarms" for `alarm_subscriptions[0].endpoint`; "" for any other path."""
    found = re.search(r"(?:^|\.)(\w+)_subscriptions\[\d+\]\.endpoint$", path)
    return f"{found.group(1)}s" if found else ""


def _comments(text: str, document: Any) -> Iterator[tuple[int, int]]:
    """Each comment's span in `text`, whole-line or after a value: a `#` at a line's start or
    after a blank, outside every scalar (a quoted or block scalar may hold one)."""
    spans: list[tuple[int, int]] = []

    def collect(node: Any) -> None:
        if isinstance(node, yaml.ScalarNode):
            spans.append((node.start_mark.index, node.end_mark.index))
        elif isinstance(node, yaml.SequenceNode):
            for item in node.value:
                collect(item)
        elif isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                collect(key)
                collect(value)

    collect(document)
    for found in re.finditer(r"(?:^|(?<=\s))#[^\n]*", text, re.MULTILINE):
        if not any(start <= found.start() < end for start, end in spans):
            yield found.start(), found.end()


def _new_domain(domain: str, source: str, name: str) -> str:
    """The source's label replaced by the name (api.staging.example.com -> api.qa.example.com);
    a domain without it gets the name as its second label (api.example.com -> api.qa.example.com)."""
    labels = domain.split(".")
    if source in labels:
        return ".".join(name if label == source else label for label in labels)
    labels.insert(1 if len(labels) > 2 else 0, name)
    return ".".join(labels)


def _cidrs(project: Project) -> list[ipaddress.IPv4Network]:
    """Every stack's `cidr` in every environment."""
    found = []
    for env in project.environments.values():
        for stack in env.stacks:
            cidr = getattr(env.blueprint(stack).config, "cidr", None)
            if isinstance(cidr, str):
                found.append(ipaddress.IPv4Network(cidr))
    return found


def _free_cidr(taken: list[ipaddress.IPv4Network]) -> ipaddress.IPv4Network:
    """The first /16 of 10.0.0.0/8 above the highest one taken there (wrapping around) that
    overlaps nothing taken."""
    blocks = list(POOL.subnets(new_prefix=16))
    inside = [int(t.broadcast_address) for t in taken if t.subnet_of(POOL)]
    start = (max(inside) - int(POOL.network_address)) // 2**16 + 1 if inside else 0
    for block in blocks[start:] + blocks[:start]:
        if not any(block.overlaps(t) for t in taken):
            return block
    raise Refused(f"no free /16 is left in {POOL}")


def _read(path: Path) -> str:
    return path.read_bytes().decode()


# --- the command --------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--name", required=True, help="the new environment, e.g. qa")
    parser.add_argument("--from", dest="source", required=True, metavar="FROM", help="the environment to copy")
    parser.add_argument("--account", required=True, help="the new environment's own AWS account id (12 digits)")
    parser.add_argument("--project", type=Path, default=PROJECT_DIR, help="the Sceptre project (default: this one)")
    args = parser.parse_args(argv)
    try:
        new, project = add_environment(args.project, args.name, args.source, args.account)
    except Refused as err:
        print(f"refused: {err}\nnothing was changed", file=sys.stderr)
        return 1
    group = f"config/{new.name}"
    print(f"added environment {new.name}, copied from {new.source} ({args.project}):")
    print(f"  {group}/config.yaml: {new.source}'s settings, with what must be unique made unique:")
    print("".join(f"    {change}\n" for change in new.changes), end="")
    if new.rewritten:
        print(f"  and every value and comment naming {new.source} made to name {new.name}:")
        print("".join(f"    {rewritten}\n" for rewritten in new.rewritten), end="")
    stacks = ", ".join(Path(file_name).stem for file_name in new.links)
    print(f"  {group}/: {len(new.links)} stack links to ../../stacks/<stack>.yaml: {stacks}")
    print(f"  config/config.yaml environments: {', '.join(project.environments)}")
    print(
        f"validated: the project loads with its {len(project.environments)} environments "
        "(every stack's settings, invariants, disjoint CIDRs, distinct domains and accounts)"
    )
    print(f"\nReview {group}/config.yaml: every other setting is {new.source}'s.", end="")
    if new.review:
        print(" Look first at:")
        print("".join(f"  {item}\n" for item in new.review), end="")
    print()
    print(settings_table(project))
    print(
        "\nNext:\n"
        "  .venv/bin/python scripts/environments_table.py --write   # the environments table of docs/settings.md\n"
        "  make report         # docs/environments.md, docs/openapi.json (servers), docs/reference.md\n"
        "  make consistency    # every difference between environments explained by a setting\n"
        f"  make demo ENV={new.name}    # bootstrap and launch on the local emulator; on AWS: "
        f"make bootstrap ENV={new.name}, then .venv/bin/sceptre --dir sceptre_project launch {new.name}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

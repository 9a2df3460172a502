"""`make environment NAME=qa FROM=staging`: a new environment in one command, or no change at all."""

from __future__ import annotations

import ipaddress
import os
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from blueprints.core import ConfigError
from blueprints.deploy.rendering import render_environment
from blueprints.project import load_project
from blueprints.reports.consistency import NEUTRAL_NAME, check, format_report
from scripts import new_environment
from scripts.new_environment import Refused, _free_cidr, _insert_environment, _new_domain, main
from tests.conftest import ROOT


def snapshot(root: Path) -> dict[str, object]:
    """Every path under root: a link's target, a file's bytes, or a directory."""
    return {
        str(path.relative_to(root)): os.readlink(path)
        if path.is_symlink()
        else path.read_bytes()
        if path.is_file()
        else "dir"
        for path in sorted(root.rglob("*"))
    }


def add(root: Path, name: str, source: str, account: str | None = None) -> int:
    """Add `name` from `source`, in `account` (default: one no environment of root has)."""
    if account is None:
        try:
            taken = {env.settings.account_id for env in load_project(root).environments.values()}
        except ConfigError:  # a test of a project that does not load
            taken = set()
        account = next(a for a in (f"{n:012d}" for n in range(444444444444, 10**12, 111111111111)) if a not in taken)
    return main(["--name", name, "--from", source, "--account", account, "--project", str(root)])


@pytest.fixture
def qa(project_copy, capsys):
    """A copy of the project with qa added from staging; (root, what the command printed)."""
    root = project_copy()
    assert add(root, "qa", "staging") == 0
    return root, capsys.readouterr().out


def test_qa_from_staging_loads_in_promotion_order(qa):
    root, _ = qa
    project = load_project(root)
    assert list(project.environments) == ["dev", "staging", "qa", "prod"]
    staging, new = project.environments["staging"], project.environments["qa"]
    assert dict(new.stacks) == dict(staging.stacks)
    assert new.region == staging.region


def test_qa_renders_every_stack_through_sceptre(qa):
    root, _ = qa
    rendered = render_environment(root, "qa")
    assert set(rendered) == set(load_project(root).environments["staging"].stacks)
    assert all(stack.template.strip() for stack in rendered.values())


def test_qa_is_consistent_with_the_others(qa):
    root, _ = qa
    report = check(load_project(root), root)
    assert report.ok, format_report(report)
    assert "qa" in report.environments


def test_qa_has_its_own_domain_and_cidr_and_every_other_setting_of_staging(qa):
    root, out = qa
    project = load_project(root)
    new = project.environments["qa"]
    assert new.settings.domain == "api.qa.example.com"
    assert new.settings.account_id == "444444444444"
    assert "account_id: 444444444444" in out
    cidr = ipaddress.IPv4Network(new.blueprint("network").config.cidr)
    assert cidr.prefixlen == 16 and cidr.subnet_of(ipaddress.IPv4Network("10.0.0.0/8"))
    for name, env in project.environments.items():
        if name != "qa":
            assert env.settings.domain != new.settings.domain
            assert not cidr.overlaps(ipaddress.IPv4Network(env.blueprint("network").config.cidr))
    staging = project.environments["staging"]
    renamed = {"domain", "account_id", "stacks", "alarm_subscriptions"}
    assert new.settings.model_dump(exclude=renamed) == staging.settings.model_dump(exclude=renamed)
    for stack in staging.stacks:
        ours, theirs = new.blueprint(stack).config.model_dump(), staging.blueprint(stack).config.model_dump()
        differing = {key for key in ours if ours[key] != theirs[key]}
        assert differing <= {"domain", "cidr", "alarm_subscriptions"}, stack
    assert "domain: api.staging.example.com -> api.qa.example.com" in out
    assert f"network.cidr: 10.20.0.0/16 -> {cidr}" in out


def test_the_files_are_written_like_the_others(qa):
    root, _ = qa
    config = root / "config"
    staging_text = (config / "staging" / "config.yaml").read_text().splitlines()
    qa_text = (config / "qa" / "config.yaml").read_text().splitlines()
    changed = [(a, b) for a, b in zip(staging_text, qa_text, strict=True) if a != b]
    keys = []
    for theirs, ours in changed:
        if theirs.lstrip().startswith("#"):
            assert ours == theirs.replace("staging", "qa")
        else:
            assert ours.partition(":")[0] == theirs.partition(":")[0]
            keys.append(ours.partition(":")[0].strip())
    assert sorted(keys) == ["account_id", "alarm_subscriptions", "cidr", "domain"]
    for link in (config / "staging").glob("*.yaml"):
        if link.name != "config.yaml":
            ours = config / "qa" / link.name
            assert ours.is_symlink() and os.readlink(ours) == f"../../stacks/{link.name}" == os.readlink(link)
    original = (ROOT / "sceptre_project" / "config" / "config.yaml").read_text()
    assert (config / "config.yaml").read_text() == original.replace(
        "environments: [dev, staging, prod]", "environments: [dev, staging, qa, prod]"
    )


def test_values_naming_the_source_name_the_new_environment_and_are_listed(qa):
    """staging's alarm address (a value naming staging) becomes qa's, printed as rewritten and,
    an address that may not exist, for review; so are comments naming another environment."""
    root, out = qa
    new = load_project(root).environments["qa"]
    assert [s.endpoint for s in new.settings.alarm_subscriptions or ()] == ["payments-qa-alarms@example.com"]
    text = (root / "config" / "qa" / "config.yaml").read_text()
    assert not re.search(r"(?<![a-z])staging(?![a-z])", text), "a value or comment still names staging"
    rewritten, _, review = out.partition("Look first at:")
    address = "environment.alarm_subscriptions[0].endpoint"
    assert f"line 15, {address}: payments-staging-alarms@example.com -> payments-qa-alarms@example.com" in rewritten
    assert "line 1, comment: '# The staging environment." in rewritten
    assert f"{address}: payments-qa-alarms@example.com was staging's payments-staging-alarms@example.com" in review
    assert "make sure it exists" in review
    # a comment copied from staging that names dev (stale there already) is shown, not changed
    assert "line 16, comment '# nobody is paged for dev' names dev: still true of qa?" in review
    assert "page_subscriptions: []  # nobody is paged for dev" in text


def test_from_prod_the_domain_gets_the_name_as_a_label(project_copy, capsys):
    root = project_copy()
    assert add(root, "perf", "prod") == 0
    project = load_project(root)
    assert list(project.environments) == ["dev", "staging", "prod", "perf"]
    assert project.environments["perf"].settings.domain == "api.perf.example.com"
    assert project.environments["perf"].settings.protect_stacks is True
    # prod's addresses do not name prod: copied as they are, and listed for review
    review = capsys.readouterr().out.partition("Look first at:")[2]
    assert (
        "environment.alarm_subscriptions[0].endpoint: payments-alarms@example.com is prod's, copied as it is: "
        "perf's alarms reach it too" in review
    )
    assert "environment.page_subscriptions[0].endpoint: payments-oncall@example.com is prod's" in review
    assert "perf's pages reach it too" in review


def test_a_name_is_rewritten_as_a_word_in_any_value_or_comment():
    """Only the name as a word (not inside a longer word), in every kind of scalar and
    comment, keeping quotes and line numbers; keys, the domain and the account are left to
    their own rules."""
    text = (
        "# staging: copied\n"
        "environment:\n"
        "  account_id: 'staging'  # staging's own\n"
        "  domain: api.staging.example.com\n"
        "  staging: key  # a key is a setting's name\n"
        "  title: 'Payments # staging'  # the quoted '#' is not a comment\n"
        "  other: stagingarea, prestaging, staging2, staging_x\n"
        '  url: "https://hooks.example.com/staging/alerts"\n'
        "  note: |\n"
        "    kept for staging\n"
        "    # not a comment in staging\n"
        "  page_subscriptions: [{protocol: sms, endpoint: '+441234567890'}]\n"
        "  alarm_subscriptions:\n"
        "    - {protocol: https, endpoint: 'https://staging.example.com/hook'}\n"
        "  shared: &anchor ops-staging@example.com\n"
        "  again: *anchor\n"
        "  was: copied from dev  # like prod\n"
    )
    renamed = new_environment._renamed(text, "staging", "qa", ["dev", "prod"])
    assert renamed.text == (
        "# qa: copied\n"
        "environment:\n"
        "  account_id: 'staging'  # qa's own\n"
        "  domain: api.staging.example.com\n"
        "  staging: key  # a key is a setting's name\n"
        "  title: 'Payments # qa'  # the quoted '#' is not a comment\n"
        "  other: stagingarea, prestaging, staging2, qa_x\n"
        '  url: "https://hooks.example.com/qa/alerts"\n'
        "  note: |\n"
        "    kept for qa\n"
        "    # not a comment in qa\n"
        "  page_subscriptions: [{protocol: sms, endpoint: '+441234567890'}]\n"
        "  alarm_subscriptions:\n"
        "    - {protocol: https, endpoint: 'https://qa.example.com/hook'}\n"
        "  shared: &anchor ops-qa@example.com\n"
        "  again: *anchor\n"
        "  was: copied from dev  # like prod\n"
    )
    assert len(renamed.rewritten) == 8
    assert "line 9, environment.note: 'kept for staging\\n# not a comment in staging\\n' -> 'kept for qa" in (
        "\n".join(renamed.rewritten)
    )
    assert renamed.review == [
        "line 12, environment.page_subscriptions[0].endpoint: +441234567890 is staging's, copied as it is: "
        "qa's pages reach it too",
        "line 14, environment.alarm_subscriptions[0].endpoint: https://qa.example.com/hook was staging's "
        "https://staging.example.com/hook: make sure it exists (the subscription's confirmation is sent there)",
        "line 15, environment.shared: ops-qa@example.com was staging's ops-staging@example.com: make sure it exists",
        "line 17, comment '# like prod' names prod: still true of qa?",
        "line 17, environment.was: copied from dev names dev: still true of qa?",
    ]


def test_an_environment_copied_with_nothing_naming_it_lists_nothing_to_rewrite():
    renamed = new_environment._renamed("region: x  # here\nenvironment: {stacks: {}}\n", "staging", "qa", ["dev"])
    assert renamed == new_environment.Renamed("region: x  # here\nenvironment: {stacks: {}}\n", [], [])


def test_two_new_environments_get_distinct_cidrs(project_copy, capsys):
    root = project_copy()
    assert add(root, "qa", "staging") == 0
    assert add(root, "qa2", "qa") == 0
    project = load_project(root)
    assert project.environments["qa2"].settings.domain == "api.qa2.example.com"
    assert list(project.environments) == ["dev", "staging", "qa", "qa2", "prod"]


@pytest.mark.parametrize(
    ("name", "source", "reason"),
    [
        ("staging", "dev", "environment 'staging' exists"),
        ("QA", "staging", "not a valid environment name"),
        ("q", "staging", "not a valid environment name"),
        ("qa-1", "staging", "not a valid environment name"),
        ("1qa", "staging", "not a valid environment name"),
        ("a" * 17, "staging", "not a valid environment name"),
        (NEUTRAL_NAME, "staging", "reserved"),
        ("qa", "nope", "no environment 'nope' to copy"),
        ("qa", "../config", "no environment '../config' to copy"),
    ],
)
def test_a_refusal_changes_nothing(project_copy, capsys, name, source, reason):
    root = project_copy()
    before = snapshot(root)
    assert add(root, name, source) == 1
    err = capsys.readouterr().err
    assert reason in err and "nothing was changed" in err
    assert snapshot(root) == before


def test_a_taken_domain_is_refused(project_copy, capsys):
    root = project_copy("dev", lambda data: data["environment"].update(domain="api.qa.example.com"))
    before = snapshot(root)
    assert add(root, "qa", "staging") == 1
    assert "the domain api.qa.example.com is taken: it is dev's" in capsys.readouterr().err
    assert snapshot(root) == before


@pytest.mark.parametrize(
    ("account", "reason"),
    [
        ("222222222222", "account 222222222222 is staging's: each environment has its own account"),
        ("12345", "'12345' is not an AWS account id (12 digits)"),
    ],
)
def test_an_account_taken_or_invalid_is_refused(project_copy, capsys, account, reason):
    root = project_copy()
    before = snapshot(root)
    assert add(root, "qa", "staging", account) == 1
    assert reason in capsys.readouterr().err
    assert snapshot(root) == before


def test_a_project_that_does_not_load_is_refused(project_copy, capsys):
    root = project_copy("dev", lambda data: data["environment"]["stacks"]["network"].update(cidr="10.20.0.0/16"))
    before = snapshot(root)
    assert add(root, "qa", "staging") == 1
    assert "the project does not load as it is" in capsys.readouterr().err
    assert snapshot(root) == before


def test_an_invalid_result_is_rolled_back(project_copy, capsys, monkeypatch):
    """After writing, the whole project is validated; a failure puts every file back."""
    root = project_copy()
    before = snapshot(root)
    monkeypatch.setattr(new_environment, "_free_cidr", lambda taken: ipaddress.IPv4Network("10.20.0.0/16"))
    assert add(root, "qa", "staging") == 1
    err = capsys.readouterr().err
    assert "does not validate, every change was rolled back" in err and "overlaps" in err
    assert snapshot(root) == before


def test_a_failure_while_writing_is_rolled_back(project_copy, monkeypatch):
    root = project_copy()
    before = snapshot(root)
    plan = new_environment.plan(root, "qa", "staging", "444444444444")

    def broken(project_dir):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        new_environment.apply(plan, validate=broken)
    assert snapshot(root) == before


def test_block_style_environment_lists_and_quotes_are_kept():
    text = "# order\nenvironments:\n  - dev   # first\n  - 'staging'\n  - prod\nregion: x\n"
    assert _insert_environment(text, "qa", "staging") == (
        "# order\nenvironments:\n  - dev   # first\n  - 'staging'\n  - qa\n  - prod\nregion: x\n"
    )
    assert yaml.safe_load(_insert_environment("environments: [dev]", "qa", "dev")) == {"environments": ["dev", "qa"]}
    with pytest.raises(Refused, match="no `environments:` list"):
        _insert_environment("region: x\n", "qa", "dev")
    with pytest.raises(Refused, match="not listed"):
        _insert_environment("environments: [dev]\n", "qa", "staging")


def test_domains_and_cidrs():
    assert _new_domain("api.staging.example.com", "staging", "qa") == "api.qa.example.com"
    assert _new_domain("api.example.com", "prod", "qa") == "api.qa.example.com"
    assert _new_domain("example.com", "prod", "qa") == "qa.example.com"
    taken = [ipaddress.IPv4Network(c) for c in ("10.10.0.0/16", "10.20.0.0/16", "172.16.0.0/16")]
    assert str(_free_cidr(taken)) == "10.21.0.0/16"
    assert str(_free_cidr([ipaddress.IPv4Network("10.255.0.0/16")])) == "10.0.0.0/16"
    assert str(_free_cidr([])) == "10.0.0.0/16"
    with pytest.raises(Refused, match="no free /16"):
        _free_cidr([ipaddress.IPv4Network("10.0.0.0/8")])


def test_make_environment_runs_the_command():
    shown = subprocess.run(
        ["make", "-n", "environment", "NAME=qa", "FROM=staging", "ACCOUNT=444444444444"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "-m scripts.new_environment --name qa --from staging --account 444444444444" in shown


def test_a_stack_file_without_a_shared_definition_is_refused(project_copy, capsys):
    root = project_copy()
    (root / "config" / "staging" / "notes.yaml").write_text("template: {type: file, path: notes.json}\n")
    before = snapshot(root)
    assert add(root, "qa", "staging") == 1
    assert "config/staging/notes.yaml has no stack definition stacks/notes.yaml" in capsys.readouterr().err
    assert snapshot(root) == before

"""Bad configuration fails before any AWS call, naming the environment, stack and field."""

from __future__ import annotations

import re
from pathlib import Path

import botocore.endpoint
import pytest
from click.testing import CliRunner
from sceptre.cli import cli

from blueprints.core import ConfigError, Context
from blueprints.deploy.rendering import render_environment
from blueprints.project import load_project
from blueprints.stacks.data import DataBlueprint


def _set(path: str, value):
    """A change that sets `environment.<path>` (dotted) in a config.yaml."""

    def change(data: dict) -> None:
        node = data["environment"]
        *parents, leaf = path.split(".")
        for key in parents:
            node = node.setdefault(key, {})
        node[leaf] = value

    return change


@pytest.fixture(autouse=True)
def _forbid_aws_requests(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args, **kwargs):
        raise AssertionError("an AWS request was attempted")

    monkeypatch.setattr(botocore.endpoint.Endpoint, "make_request", refuse)


CASES = [
    # (environment edited, change, expected environment, stack, field, words in the message)
    ("dev", _set("stacks.data.read_capacty", 5), "dev", "data", "read_capacty", "Extra inputs"),
    ("staging", _set("stacks.functions.memory_mb", "lots"), "staging", "functions", "memory_mb", "valid integer"),
    ("prod", _set("stacks.data.alarm_throttle_events", -5), "prod", "data", "alarm_throttle_events", "greater than 0"),
    ("dev", _set("stacks.network.cidr", "10.10.0.0/33"), "dev", "network", "cidr", "CIDR"),
    ("dev", _set("stacks.network.cidr", "10.10.0.1/16"), "dev", "network", "cidr", "host bits"),
    ("dev", _set("stacks.network.cidr", "8.8.0.0/16"), "dev", "network", "cidr", "private"),
    ("staging", _set("stacks.network.cidr", "10.10.128.0/17"), "staging", "network", "cidr", "overlaps dev"),
    ("prod", _set("domain", "api..example.com"), "prod", "*", "environment.domain", "not a valid DNS name"),
    ("prod", _set("domain", "*.example.com"), "prod", "*", "environment.domain", "wildcard"),
    ("prod", _set("domain", "API.example.com"), "prod", "*", "environment.domain", "lower case"),
    ("staging", _set("domain", "api.dev.example.com"), "staging", "*", "environment.domain", "already the domain"),
    ("dev", _set("log_retention_days", 8), "dev", "*", "environment.log_retention_days", "retention period"),
    ("dev", _set("stacks.network.nat_gateways", 3), "dev", "network", "nat_gateways", "availability zones"),
    ("dev", _set("stacks.data.retain_data", True), "dev", "data", "retain_data", "environment-wide"),
    ("dev", _set("stacks.netwrk", {"cidr": "10.99.0.0/16"}), "dev", "netwrk", "environment.stacks.netwrk", "unknown"),
    ("dev", _set("stacks.network", None), "dev", "network", "environment.stacks.network", "dictionary"),
    # Without its settings a stack that needs some is refused, naming the first it misses.
    ("dev", lambda d: d["environment"].pop("stacks"), "dev", "api", "throttling_rate_limit", "required"),
    ("dev", lambda d: d.update(region="moon-1"), "dev", "*", "region", "not an AWS region"),
    # One account per environment, written as text; deployers are role or account ARNs.
    ("prod", _set("account_id", "111111111111"), "prod", "*", "environment.account_id", "already the account of 'dev'"),
    ("dev", _set("account_id", 111111111111), "dev", "*", "environment.account_id", "in quotes"),
    ("dev", _set("account_id", "1111"), "dev", "*", "environment.account_id", "12 digits"),
    ("dev", lambda d: d["environment"].pop("account_id"), "dev", "*", "environment.account_id", "required"),
    ("dev", _set("deployers", []), "dev", "*", "environment.deployers", "at least 1"),
    ("dev", _set("deployers", ["arn:aws:iam::123:user/me"]), "dev", "*", "environment.deployers.0", "IAM role"),
    (
        "prod",
        _set("allow_destructive_changes", ["dat.TransactionsTable"]),
        "prod",
        "dat",
        "environment.allow_destructive_changes",
        "known stack",
    ),
    # An invariant setting may be set, but only to the same value everywhere.
    (
        "prod",
        _set("stacks.functions.log_level", "DEBUG"),
        "prod",
        "functions",
        "log_level",
        "same in every environment",
    ),
    ("staging", _set("stacks.api.stage_name", "v2"), "staging", "api", "stage_name", "dev='v1', staging='v2'"),
    ("dev", _set("stacks.network.availability_zones", 3), "dev", "network", "availability_zones", "by design"),
]


@pytest.mark.parametrize(("env", "change", "where_env", "stack", "field", "words"), CASES)
def test_bad_setting_is_named(project_copy, env, change, where_env, stack, field, words):
    with pytest.raises(ConfigError) as caught:
        load_project(project_copy(env, change))
    err = caught.value
    assert (err.environment, err.stack, err.field) == (where_env, stack, field)
    assert words in str(err)
    assert str(err).startswith(f"environment {where_env!r}, stack {stack!r}, field {field!r}: ")


def test_several_problems_are_all_reported(project_copy):
    def change(data: dict) -> None:
        data["environment"]["stacks"]["data"].update(alarm_throttle_events=0, alarm_system_errors=-1)

    with pytest.raises(ConfigError) as caught:
        load_project(project_copy("dev", change))
    assert caught.value.field == "alarm_throttle_events"
    assert "alarm_system_errors" in str(caught.value)


def test_unknown_environment_is_named(project):
    with pytest.raises(ConfigError, match=r"environment 'qa', stack 'data', field 'environment': no such environment"):
        project.environment("qa", stack="data")


def _add_group(root, name: str, text: str) -> None:
    (root / "config" / name).mkdir()
    (root / "config" / name / "config.yaml").write_text(text)
    root_config = root / "config" / "config.yaml"
    root_config.write_text(root_config.read_text().replace("[dev, staging, prod]", f"[dev, staging, prod, {name}]"))


def test_badly_named_environment_directory(project_copy):
    root = project_copy()
    _add_group(root, "QA", "environment: {}\n")
    with pytest.raises(ConfigError, match="environment 'QA'.*lower-case"):
        load_project(root)


def test_environment_without_settings(project_copy):
    root = project_copy()
    _add_group(root, "qa", "region: eu-west-1\n")
    with pytest.raises(ConfigError, match="environment 'qa'.*missing the 'environment' settings block"):
        load_project(root)


def test_stack_group_missing_from_the_environment_list(project_copy):
    root = project_copy()
    (root / "config" / "qa").mkdir()
    (root / "config" / "qa" / "config.yaml").write_text("region: eu-west-1\n")
    with pytest.raises(ConfigError, match=r"field 'environments': must list every stack group.*'qa'"):
        load_project(root)


def test_listed_environment_without_a_stack_group(project_copy):
    root = project_copy()
    root_config = root / "config" / "config.yaml"
    root_config.write_text(root_config.read_text().replace("[dev, staging, prod]", "[dev, staging, prod, qa]"))
    with pytest.raises(ConfigError, match="field 'environments'"):
        load_project(root)


@pytest.mark.parametrize("text", ["- just\n- a list\n", "key: [unclosed\n"])
def test_unreadable_config_file(project_copy, text):
    root = project_copy()
    (root / "config" / "dev" / "config.yaml").write_text(text)
    with pytest.raises(ConfigError, match="environment 'dev'.*config.yaml"):
        load_project(root)


@pytest.mark.parametrize(
    ("file", "text", "located", "field", "words"),
    [
        (
            "config/dev/config.yaml",
            "region: eu-west-1\nenvironment:\n  deployers: [a, b\n  domain: x\n",
            "config/dev/config.yaml:4",
            "environment 'dev', stack '*', field 'config.yaml'",
            "(column 9; while parsing a flow sequence from line 3, column 14)",
        ),
        (
            "config/staging/config.yaml",
            "region: eu-west-1\nenvironment:\n  domain: x\n domain: y\n",
            "config/staging/config.yaml:4",
            "environment 'staging', stack '*', field 'config.yaml'",
            "not valid YAML: ",
        ),
        (
            "config/config.yaml",
            "project_code: payments\nenvironments: [dev, staging, prod\n",
            "config/config.yaml:3",
            "environment '*', stack '*', field 'config.yaml'",
            "while parsing a flow sequence from line 2, column 15",
        ),
        # a stack file is a link to the shared definition: the error is there
        (
            "stacks/data.yaml",
            "template:\n  type: blueprint\n   name: data\n",
            "stacks/data.yaml:3",
            "environment 'dev', stack '*', field 'data.yaml'",
            "not valid YAML: mapping values are not allowed",
        ),
        (
            "config/prod/config.yaml",
            "region: eu-west-1\nenvironment: {domain: 'api.example.com}\n",
            "config/prod/config.yaml:3",
            "environment 'prod', stack '*', field 'config.yaml'",
            "while scanning a quoted scalar from line 2, column 23",
        ),
    ],
)
def test_a_yaml_syntax_error_is_located_to_file_and_line(project_copy, file, text, located, field, words):
    """Not the parser's raw message (`in "<unicode string>", line 3, column 9` on several lines):
    one line leading with the file, relative to the project, and the line."""
    root = project_copy()
    (root / file).write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_project(root)
    message = str(caught.value)
    assert message.startswith(f"{located}: {field}: not valid YAML: "), message
    assert words in message
    assert "\n" not in message and "<unicode string>" not in message and str(root) not in message
    assert caught.value.located_at == located and caught.value.reason.startswith("not valid YAML: ")


def test_a_yaml_syntax_error_in_another_environment_stops_sceptre_located(project_copy):
    """`sceptre generate dev` reads the whole project (the cross-environment checks): a syntax
    error in staging's file is Sceptre's one-line error with the file and line, once."""
    root = project_copy()
    (root / "config" / "staging" / "config.yaml").write_text("region: eu-west-1\nenvironment: [a\n")
    result = CliRunner().invoke(cli, ["--dir", str(root), "generate", "dev/data.yaml"], catch_exceptions=True)
    assert result.exit_code == 1, result.output
    assert "config/staging/config.yaml:3: environment 'staging', stack '*', field 'config.yaml': not valid YAML" in (
        result.output
    )
    assert result.output.count("config/staging/config.yaml") == 1 and "Traceback" not in result.output


def test_bad_project_code(project_copy):
    root = project_copy()
    (root / "config" / "config.yaml").write_text("project_code: Payments Inc\nenvironments: [dev]\n")
    with pytest.raises(ConfigError, match="field 'project_code'"):
        load_project(root)


def test_project_without_environments(tmp_path):
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "config.yaml").write_text("project_code: payments\nenvironments: []\n")
    with pytest.raises(ConfigError, match="field 'environments'"):
        load_project(tmp_path)


def test_a_stack_the_environment_does_not_have(project):
    with pytest.raises(ConfigError, match="stack 'queue', field 'template.name': no stack 'queue' in this environment"):
        project.environments["dev"].blueprint("queue")


def _add_stack(project: Path, env: str, stack: str, blueprint: str) -> None:
    (project / "config" / env / f"{stack}.yaml").write_text(f"template:\n  type: blueprint\n  name: {blueprint}\n")


def test_unknown_blueprint_named_in_a_stack_config(project_copy):
    target = project_copy()
    for env in ("dev", "staging", "prod"):
        _add_stack(target, env, "queue", "netwrk")
    with pytest.raises(
        ConfigError, match=r"stack 'queue', field 'template.name': no blueprint named 'netwrk' \(did you"
    ):
        load_project(target)


@pytest.mark.parametrize(
    ("reference", "words"),
    [
        ("no_such_module:Thing", "cannot load 'no_such_module:Thing'"),
        ("blueprints.core:NotThere", "cannot load"),
        ("blueprints.core:Context", "'blueprints.core:Context' is not a Blueprint subclass"),
    ],
)
def test_a_module_class_reference_must_be_a_blueprint(project_copy, reference, words):
    target = project_copy()
    for env in ("dev", "staging", "prod"):
        _add_stack(target, env, "extra", reference)
    with pytest.raises(ConfigError, match=f"stack 'extra', field 'template.name': {re.escape(words)}"):
        load_project(target)


def test_a_stack_missing_from_one_environment_is_refused_unless_declared_absent(project_copy):
    target = project_copy()
    (target / "config" / "staging" / "cdn.yaml").unlink()
    with pytest.raises(ConfigError) as caught:
        load_project(target)
    assert (caught.value.environment, caught.value.stack, caught.value.field) == (
        "staging",
        "cdn",
        "environment.absent_stacks",
    )
    assert "add config/staging/cdn.yaml" in str(caught.value)
    declared = project_copy("staging", _set("absent_stacks", ["cdn"]))
    project = load_project(declared)
    assert "cdn" not in project.environments["staging"].stacks and "cdn" in project.environments["prod"].stacks


@pytest.mark.parametrize(
    ("absent", "words"), [(["cdn"], "config/staging/cdn.yaml exists"), (["cnd"], "no environment has such a stack")]
)
def test_absent_stacks_must_be_absent_and_real(project_copy, absent, words):
    with pytest.raises(ConfigError, match=re.escape(words)):
        load_project(project_copy("staging", _set("absent_stacks", absent)))


def test_blueprint_config_errors_without_sceptre():
    """Library users get the same located errors when building a blueprint directly."""
    with pytest.raises(ConfigError, match="environment 'test', stack 'data', field 'alarm_system_errors'"):
        DataBlueprint.from_mapping(
            {
                "capacity": {"mode": "on_demand"},
                "alarm_system_errors": 0,
                "point_in_time_recovery": True,
                "deletion_protection": True,
                "retain_data": True,
            },
            Context("payments", "test"),
        )


def test_sceptre_generate_reports_the_error_and_renders_nothing(project_copy):
    root = project_copy("dev", _set("stacks.data.alarm_throttle_events", 0))
    with pytest.raises(ConfigError, match="environment 'dev', stack 'data', field 'alarm_throttle_events'"):
        render_environment(root, "dev")


def test_sceptre_launch_stops_before_any_aws_call(project_copy):
    """The validate hook fails every stack of the first level before it calls AWS."""
    root = project_copy("prod", _set("stacks.network.cidr", "10.10.0.0/16"))  # overlaps dev
    result = CliRunner().invoke(cli, ["--dir", str(root), "launch", "--yes", "prod"], catch_exceptions=True)
    # Sceptre prints the located error as one line and exits 1 (no traceback)
    assert result.exit_code == 1, result.output
    assert "config/prod/config.yaml:" in result.output and "Traceback" not in result.output
    assert "stack 'network', field 'cidr'" in result.output
    assert "overlaps dev" in result.output


def test_errors_name_the_stack_file_when_it_differs_from_its_blueprint(project_copy):
    """Settings are keyed by stack; a stack `ledger` made of the `data` blueprint is named so."""
    target = project_copy()
    for env in ("dev", "staging", "prod"):
        _add_stack(target, env, "ledger", "data")
    with pytest.raises(ConfigError) as caught:
        load_project(target)
    assert (caught.value.stack, caught.value.field) == ("ledger", "capacity")

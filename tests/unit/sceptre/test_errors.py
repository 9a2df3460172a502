"""Errors a person can act on: one line through any `sceptre` command, naming the file and
line, the environment, stack and field, with "did you mean" for a misspelt key; names that
no physical name can carry are refused where they are made."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from click.testing import CliRunner
from sceptre.cli import cli
from sceptre.exceptions import SceptreException

from blueprints.core import ConfigError, Context
from blueprints.core.blueprint import MAX_NAMES_LENGTH
from blueprints.core.errors import InvalidName
from blueprints.project import load_project
from blueprints.project.locations import locate
from blueprints.sceptre.errors import BlueprintConfigError, reported
from blueprints.sceptre.resolvers.function_package import FunctionPackageResolver
from blueprints.stacks.data import DataBlueprint

SCEPTRE = Path(sys.executable).parent / "sceptre"


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert text.count(old) == 1, f"{old!r} in {path}"
    path.write_text(text.replace(old, new))


def _line_of(path: Path, text: str) -> int:
    (number,) = [i for i, line in enumerate(path.read_text().splitlines(), start=1) if text in line]
    return number


def _generate(project: Path, *options: str) -> tuple[int, str]:
    """The real CLI in a fresh process, as a user runs it: exit code and everything it printed."""
    argv = [str(SCEPTRE), *options, "--dir", str(project), "generate", "dev"]
    result = subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)
    return result.returncode, result.stdout + result.stderr


def _the_one_line(output: str) -> str:
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1, output
    assert "Traceback" not in output
    return lines[0]


@pytest.fixture
def dev_config(project_copy) -> Path:
    return project_copy() / "config" / "dev" / "config.yaml"


def test_a_misspelt_setting_is_one_located_line_with_a_suggestion(dev_config):
    _edit(dev_config, "nat_gateways: 0", "nat_gatways: 0")
    code, output = _generate(dev_config.parents[2])
    assert code != 0
    line = _the_one_line(output)
    where = _line_of(dev_config, "nat_gatways:")
    assert f"config/dev/config.yaml:{where}: environment 'dev', stack 'network', field 'nat_gatways': " in line
    assert "did you mean 'nat_gateways'?" in line
    # the required setting it misspells is explained by the suggestion, not reported besides
    assert "required" not in line


def test_debug_shows_the_traceback(dev_config):
    _edit(dev_config, "nat_gateways: 0", "nat_gatways: 0")
    code, output = _generate(dev_config.parents[2], "--debug")
    assert code != 0
    assert "Traceback" in output
    assert "did you mean 'nat_gateways'?" in output


def test_a_wrong_type_is_one_located_line(dev_config):
    _edit(dev_config, "memory_mb: 256", "memory_mb: lots")
    code, output = _generate(dev_config.parents[2])
    assert code != 0
    line = _the_one_line(output)
    where = _line_of(dev_config, "memory_mb:")
    assert f"config/dev/config.yaml:{where}: environment 'dev', stack 'functions', field 'memory_mb': " in line
    assert "valid integer" in line


def test_settings_of_an_unknown_stack_are_one_located_line(dev_config):
    _edit(dev_config, "  stacks:\n", "  stacks:\n    netwrk:\n      cidr: 10.99.0.0/16\n")
    code, output = _generate(dev_config.parents[2])
    assert code != 0
    line = _the_one_line(output)
    where = _line_of(dev_config, "netwrk:")
    assert f"config/dev/config.yaml:{where}: environment 'dev', stack 'netwrk', field 'environment.stacks.netwrk'" in (
        line
    )
    assert "did you mean 'network'?" in line


def _cli(project: Path, *command: str) -> tuple[int, str]:
    """The real CLI in this process (faster): exit code and output."""
    result = CliRunner().invoke(cli, ["--dir", str(project), *command], catch_exceptions=True)
    return result.exit_code, result.output


def test_an_error_in_another_environment_names_that_environment_and_file(project_copy):
    prod = project_copy() / "config" / "prod" / "config.yaml"
    _edit(prod, "log_retention_days: 365", "log_retention_day: 365")
    code, output = _cli(prod.parents[2], "generate", "dev")
    assert code == 1
    where = _line_of(prod, "log_retention_day:")
    assert f"config/prod/config.yaml:{where}: environment 'prod', stack '*', field 'environment.log_retention_day'" in (
        output
    )
    assert "did you mean 'log_retention_days'?" in output


def test_a_blueprint_stack_file_error_names_the_file_it_links_to(project_copy):
    root = project_copy()
    stack_file = root / "stacks" / "zone.yaml"
    _edit(stack_file, "name: zone", "name: zoen")
    code, output = _cli(root, "generate", "dev")
    assert code == 1
    where = _line_of(stack_file, "name: zoen")
    assert f"stacks/zone.yaml:{where}: environment 'dev', stack 'zone', field 'template.name'" in output
    assert "did you mean 'zone'?" in output


# --- where: the line that sets the field, or the closest enclosing key -------------------


def test_a_missing_setting_points_at_the_stack_mapping(project_copy):
    root = project_copy()
    config = root / "config" / "dev" / "config.yaml"
    _edit(config, "      nat_gateways: 0\n", "")
    with pytest.raises(ConfigError) as caught:
        load_project(root)
    assert (caught.value.stack, caught.value.field) == ("network", "nat_gateways")
    location = locate(root, "dev", "network", "nat_gateways")
    assert str(location) == f"config/dev/config.yaml:{_line_of(config, 'network:')}"


def test_a_stack_without_settings_points_at_the_environment_block(project_copy):
    root = project_copy()
    location = locate(root, "dev", "zone", "existing_hosted_zone_id")
    assert str(location) == "config/dev/config.yaml:" + str(_line_of(root / "config/dev/config.yaml", "environment:"))


def test_an_environment_wide_setting_is_found_where_the_environment_sets_it(project_copy):
    root = project_copy()
    config = root / "config" / "dev" / "config.yaml"
    assert locate(root, "dev", "data", "retain_data").line == _line_of(config, "retain_data:")
    assert locate(root, "dev", "*", "environment.domain").line == _line_of(config, "domain:")


@pytest.mark.parametrize(
    ("environment", "stack", "field", "path", "text"),
    [
        ("*", "*", "project_code", "config/config.yaml", "project_code:"),
        ("*", "*", "environments", "config/config.yaml", "environments:"),
        ("qa", "*", "environment", "config/config.yaml", "environments:"),
        ("dev", "*", "region", "config/dev/config.yaml", "region:"),
        ("dev", "functions", "parameters", "stacks/functions.yaml", "parameters:"),
    ],
)
def test_project_keys_and_stack_files(project_copy, environment, stack, field, path, text):
    root = project_copy()
    location = locate(root, environment, stack, field)
    assert (location.path, location.line) == (path, _line_of(root / path, text))


def test_a_list_item_is_found_by_its_index(project_copy):
    root = project_copy()
    config = root / "config" / "dev" / "config.yaml"
    currencies = "      allowed_currencies:\n        - EUR\n        - eur\n"
    _edit(config, "      memory_mb: 256\n", "      memory_mb: 256\n" + currencies)
    assert locate(root, "dev", "functions", "allowed_currencies.1").line == _line_of(config, "- eur")


def test_unreadable_yaml_points_at_the_problem(project_copy):
    root = project_copy()
    config = root / "config" / "dev" / "config.yaml"
    config.write_text("region: eu-west-1\nenvironment:\n  domain: [unclosed\n")
    with pytest.raises(ConfigError) as caught:
        load_project(root)
    location = locate(root, caught.value.environment, caught.value.stack, caught.value.field)
    assert location.path == "config/dev/config.yaml"
    assert location.line is not None and location.line >= 3


# --- the boundary: ConfigError in, one SceptreException line out -------------------------


def test_reported_turns_a_config_error_into_a_located_sceptre_exception(project_copy):
    root = project_copy()
    error = ConfigError("bad\nvalue", environment="dev", stack="network", field="cidr")
    with pytest.raises(BlueprintConfigError) as caught, reported(root):
        raise error
    converted = caught.value
    assert isinstance(converted, SceptreException) and isinstance(converted, ConfigError)
    assert converted.__cause__ is error
    assert (converted.environment, converted.stack, converted.field, converted.reason) == (
        "dev",
        "network",
        "cidr",
        "bad\nvalue",
    )
    line = _line_of(root / "config/dev/config.yaml", "cidr:")
    expected = f"config/dev/config.yaml:{line}: environment 'dev', stack 'network', field 'cidr': bad value"
    assert str(converted) == expected  # one line


def test_reported_locates_a_name_no_physical_name_can_carry(project_copy):
    root = project_copy()
    line = _line_of(root / "config" / "config.yaml", "project_code:")
    expected = rf"^config/config.yaml:{line}: .*'project_code': .*'Billing Team'"
    with pytest.raises(BlueprintConfigError, match=expected), reported(root):
        Context("Billing Team", "dev")


def test_reported_leaves_other_errors_alone(project_copy):
    with pytest.raises(KeyError), reported(project_copy()):
        raise KeyError("not a configuration error")


def _resolver(root: Path, argument: object) -> FunctionPackageResolver:
    stack = SimpleNamespace(name="dev/functions", region="eu-west-1", stack_group_config={"project_path": str(root)})
    return FunctionPackageResolver(argument, stack)


@pytest.mark.parametrize(
    ("argument", "words"),
    [
        ({"bucket": "b"}, "needs 'source' and 'bucket'"),
        ({"source": "../lambda_code/nowhere", "bucket": "b"}, "no handler.py"),
        ({"source": "../lambda_code/payment_processor", "bucket": "b", "shared": "x"}, "'shared' is a list"),
        ({"source": "../lambda_code/payment_processor", "bucket": "b", "shared": ["../nope"]}, "no such directory"),
        ({"source": "../lambda_code/payment_processor", "bucket": "b", "sahred": []}, "unknown argument 'sahred'"),
    ],
)
def test_a_bad_function_package_is_located_in_the_stack_file_before_any_aws_call(project_copy, argument, words):
    root = project_copy()
    (root.parent / "lambda_code" / "payment_processor").mkdir(parents=True)
    (root.parent / "lambda_code" / "payment_processor" / "handler.py").write_text("")
    line = _line_of(root / "stacks" / "functions.yaml", "parameters:")
    with pytest.raises(BlueprintConfigError, match=rf"^stacks/functions.yaml:{line}: .*field 'parameters': .*{words}"):
        _resolver(root, argument).resolve()  # the fake stack has no connection manager: no AWS call


# --- did you mean -------------------------------------------------------------------------

DATA = {"capacity": {"mode": "on_demand"}, "point_in_time_recovery": True, "deletion_protection": True}


def test_a_misspelt_blueprint_setting_gets_the_closest_field():
    with pytest.raises(ConfigError) as caught:
        DataBlueprint.from_mapping({**DATA, "retain_data": True, "alarm_throttle_event": 5}, Context("shop", "qa"))
    assert caught.value.field == "alarm_throttle_event"
    assert caught.value.reason == "Extra inputs are not permitted; did you mean 'alarm_throttle_events'?"


def test_a_misspelt_required_setting_is_reported_as_the_misspelling():
    values = {k: v for k, v in DATA.items() if k != "point_in_time_recovery"}
    values |= {"retain_data": True, "point_in_time_recovry": True}
    with pytest.raises(ConfigError) as caught:
        DataBlueprint.from_mapping(values, Context("shop", "qa"))
    assert caught.value.field == "point_in_time_recovry"
    assert "did you mean 'point_in_time_recovery'?" in caught.value.reason
    assert "required" not in caught.value.reason


def test_an_unknown_setting_like_no_field_lists_the_known_ones():
    with pytest.raises(ConfigError) as caught:
        DataBlueprint.from_mapping({**DATA, "retain_data": True, "colour": "blue"}, Context("shop", "qa"))
    assert caught.value.field == "colour"
    assert re.search(r"\(known: .*capacity.*point_in_time_recovery", caught.value.reason)


# --- names every physical name can carry ---------------------------------------------------


@pytest.mark.parametrize(
    ("project", "environment", "bad"),
    [
        ("Billing Team", "dev", "'Billing Team'"),
        ("billing", "QA/1", "'QA/1'"),
        ("Payments", "dev", "'Payments'"),
        ("payments", "dev-", "'dev-'"),
        ("1payments", "dev", "'1payments'"),
        ("payments", "", "''"),
        ("payments_api", "dev", "'payments_api'"),
        ("jaws", "dev", "'jaws' contains 'aws'"),
        ("shop", "amazonqa", "'amazonqa' contains 'amazon'"),
        ("xn--shop", "dev", "'xn--shop' starts with a prefix S3 reserves"),
        ("a" * 20, "prod1", "25 characters together"),
    ],
)
def test_a_context_refuses_names_physical_names_cannot_carry(project, environment, bad):
    with pytest.raises(ValueError, match=re.escape(bad)) as caught:
        Context(project, environment)
    assert isinstance(caught.value, InvalidName)


def test_the_longest_names_fit_the_strictest_physical_name():
    """24 characters together: the artifacts bucket with the longest region and an account
    id is exactly S3's 63; one more is refused."""
    context = Context("a" * 16, "b" * (MAX_NAMES_LENGTH - 16))
    assert len(f"{context.name('artifacts')}-123456789012-ap-southeast-2") == 63
    with pytest.raises(ValueError, match="at most 24"):
        Context("a" * 16, "b" * (MAX_NAMES_LENGTH - 15))
    assert Context("shop", "qa").name("x") == "shop-qa-x"

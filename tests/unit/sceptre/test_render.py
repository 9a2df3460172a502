"""Every stack of every environment renders through Sceptre, offline, and lints clean."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import jinja2
import pytest
import yaml
from cfnlint.api import lint_by_config
from cfnlint.config import ManualArgs
from sceptre.context import SceptreContext
from sceptre.plan.plan import SceptrePlan

from blueprints.deploy.rendering import dependency_depth
from blueprints.project import BLUEPRINTS
from blueprints.stacks.functions import FUNCTIONS
from tests.conftest import ENVIRONMENTS, PROJECT_DIR

STACKS = sorted(BLUEPRINTS)


def test_every_environment_declares_every_stack(rendered):
    for env in ENVIRONMENTS:
        assert sorted(rendered[env]) == STACKS, env


def test_stack_configs_are_shared_not_copied():
    """Each environment's stack files are links to one definition per stack."""
    for env in ENVIRONMENTS:
        for stack in STACKS:
            path = PROJECT_DIR / "config" / env / f"{stack}.yaml"
            assert path.is_symlink(), path
            assert path.resolve() == (PROJECT_DIR / "stacks" / f"{stack}.yaml").resolve()


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_sceptre_renders_what_the_blueprint_builds(project, rendered, env):
    for stack in STACKS:
        assert rendered[env][stack].template == project.environments[env].render(stack), stack


def test_build_is_byte_identical_across_processes_clocks_and_hash_seeds(project):
    """Another process, another hash seed, another time zone, a second later: same bytes."""
    script = (
        "import json; from blueprints.project import BLUEPRINTS, load_project;"
        f"p = load_project({str(PROJECT_DIR)!r});"
        "print(json.dumps({e: {s: p.environments[e].render(s) for s in BLUEPRINTS}"
        " for e in p.environments}, sort_keys=True))"
    )
    time.sleep(1)
    env = {**os.environ, "PYTHONHASHSEED": "12345", "TZ": "Pacific/Kiritimati"}
    other = json.loads(
        subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True).stdout
    )
    for name, stacks in other.items():
        for stack, body in stacks.items():
            assert body == project.environments[name].render(stack), (name, stack)


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_build_is_byte_identical(project, env):
    for stack in STACKS:
        blueprint = project.environments[env].blueprint(stack)
        assert blueprint.render() == blueprint.render()
        assert blueprint.build() is not blueprint.build()  # a fresh template every call


def test_every_template_parameter_is_fed_by_the_stack_config(rendered):
    for env in ENVIRONMENTS:
        for stack, item in rendered[env].items():
            assert set(item.parameters) == set(json.loads(item.template).get("Parameters", {})), (env, stack)


def test_function_code_keys_come_from_the_packaging_resolver():
    text = jinja2.Template((PROJECT_DIR / "stacks" / "functions.yaml").read_text()).render(stack_group_path="dev")
    config = yaml.load(text, Loader=_TaggedLoader)
    for spec in FUNCTIONS:
        tag, argument = config["parameters"][spec.code_key_parameter]
        assert tag == "!function_package"
        assert argument["source"] == f"../lambda_code/{spec.source_dir}"
        assert argument["bucket"] == ("!stack_output", "dev/storage.yaml::ArtifactsBucketName")


class _TaggedLoader(yaml.BaseLoader):
    """YAML with Sceptre's tags kept as (tag, value) pairs (Sceptre registers its own on SafeLoader)."""


_TaggedLoader.add_multi_constructor(
    "!",
    lambda loader, suffix, node: (
        f"!{suffix}",
        loader.construct_mapping(node)
        if isinstance(node, yaml.MappingNode)
        else loader.construct_sequence(node)
        if isinstance(node, yaml.SequenceNode)
        else loader.construct_scalar(node),
    ),
)


def test_cross_stack_values_use_stack_output_never_user_data():
    for path in (PROJECT_DIR / "stacks").glob("*.yaml"):
        text = path.read_text()
        assert "sceptre_user_data" not in text, path
        for line in text.splitlines():
            if "::" in line:
                assert "!stack_output {{ stack_group_path }}/" in line, line


def test_dependency_graph_is_at_most_four_levels(rendered):
    for env in ENVIRONMENTS:
        levels = dependency_depth(rendered[env])
        assert max(levels.values()) == 4, levels
        assert levels["cdn"] > levels["certificate"]
        assert levels["cdn"] > levels["api"] > levels["functions"]


def test_certificate_edge_and_cdn_stacks_live_in_us_east_1_and_the_rest_in_the_env_region(project, rendered):
    """CloudFront takes its certificate and web ACL from us-east-1, and its metrics (the cdn
    stack's alarm) exist only there."""
    for env in ENVIRONMENTS:
        for stack, item in rendered[env].items():
            expected = "us-east-1" if stack in {"certificate", "edge", "cdn"} else project.environments[env].region
            assert item.region == expected, (env, stack)


def test_cfn_lint_reports_nothing_on_any_template(rendered, tmp_path: Path):
    """All templates in one cfn-lint run, informational checks included."""
    paths, regions = [], set()
    for env in ENVIRONMENTS:
        for stack, item in rendered[env].items():
            path = tmp_path / env / f"{stack}.json"
            path.parent.mkdir(exist_ok=True)
            path.write_text(item.template)
            paths.append(str(path))
            regions.add(item.region)
    matches = lint_by_config(ManualArgs(templates=paths, regions=sorted(regions), include_checks=["I"]))
    assert [f"{m.filename}: {m.rule.id} {m.message}" for m in matches] == []
    assert len(paths) == len(ENVIRONMENTS) * len(STACKS)


def test_the_lint_run_would_catch_a_broken_template(rendered, tmp_path: Path):
    """Guard against a lint call that checks nothing: the same run flags a real defect."""
    template = json.loads(rendered["dev"]["functions"].template)
    template["Resources"]["PaymentProcessorFunction"]["Properties"]["Runtime"] = "python2.7"
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(template))
    matches = lint_by_config(ManualArgs(templates=[str(path)], regions=["eu-west-1"], include_checks=["I"]))
    assert any("python2.7" in m.message for m in matches), [m.message for m in matches]


def test_every_stack_runs_its_own_hooks():
    """Each stack's hooks are bound to that stack (guard and protection act per stack)."""
    plan = SceptrePlan(SceptreContext(project_path=str(PROJECT_DIR), command_path="prod"))
    stacks = list(plan.graph)
    assert len(stacks) == len(STACKS)
    for stack in stacks:
        for hooks in stack.hooks.values():
            assert all(hook.stack is stack for hook in hooks), stack.name
        # The account check comes before any other AWS call of the stack's hooks, then the
        # account's preflight, before the stack's first change.
        assert [type(h).__name__ for h in stack.hooks["before_launch"]] == [
            "ValidateEnvironmentHook",
            "CheckAccountHook",
            "PreflightHook",
            "GuardStatefulResourcesHook",
        ]
        assert [type(h).__name__ for h in stack.hooks["before_update"]] == [
            "ValidateEnvironmentHook",
            "CheckAccountHook",
            "PreflightHook",
            "GuardStatefulResourcesHook",
        ]
        assert [type(h).__name__ for h in stack.hooks["before_create"]] == [
            "ValidateEnvironmentHook",
            "CheckAccountHook",
            "PreflightHook",
        ]
        assert [type(h).__name__ for h in stack.hooks["before_delete"]] == ["CheckAccountHook"]
        assert [type(h).__name__ for h in stack.hooks["after_launch"]] == ["ProtectStackHook"]


# CloudFormation accepts a template body of at most 51,200 bytes (larger ones must come from S3).
TEMPLATE_BODY_LIMIT = 51_200


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_every_template_fits_a_cloudformation_template_body(project, rendered, env):
    for stack in STACKS:
        assert len(rendered[env][stack].template.encode()) <= TEMPLATE_BODY_LIMIT, stack
    assert len(project.environments[env].bootstrap().render().encode()) <= TEMPLATE_BODY_LIMIT

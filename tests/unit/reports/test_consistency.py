"""The consistency contract: environments differ only by declared settings."""

from __future__ import annotations

import itertools
import json

import pytest
from troposphere import Tags, sqs

from blueprints.core import Context
from blueprints.project import BLUEPRINTS, load_project
from blueprints.reports.consistency import NEUTRAL_NAME, _renamed, check, flatten, format_report, render
from blueprints.stacks.functions import FunctionsBlueprint
from blueprints.stacks.storage import StorageBlueprint
from tests.conftest import ENVIRONMENTS, PROJECT_DIR


def test_the_project_is_consistent(project):
    report = check(project, PROJECT_DIR)
    assert report.ok, format_report(report)
    assert report.differences, "the environments do differ, by their settings"
    causes = {c for d in report.differences for c in d.causes}
    assert {"log_retention_days", "retain_data", "domain", "functions.memory_mb"} <= causes


@pytest.mark.parametrize(("own", "other"), list(itertools.permutations(ENVIRONMENTS, 2)))
def test_an_environment_rendered_under_another_name_differs_only_in_names(project, own, other):
    """No blueprint reads the environment's name to decide behaviour."""
    for stack in BLUEPRINTS:
        env = project.environments[own]
        as_itself, as_other = render(env, stack), render(env, stack, name=other)
        assert as_itself.keys() == as_other.keys(), stack
        for path, value in as_itself.items():
            assert value == as_other[path] or _renamed(value, own, other) == as_other[path], (stack, path)


def test_the_nat_difference_is_reported_with_its_setting(project_copy):
    """No environment of the project has a NAT gateway; one that did would be explained."""

    def two_nat_gateways(data):
        data["environment"]["stacks"]["network"]["nat_gateways"] = 2

    root = project_copy("prod", two_nat_gateways)
    project = load_project(root)
    report = check(project, root)
    assert report.ok, format_report(report)
    nat = next(d for d in report.differences if d.path == "Resources.NatGateway1.Type")
    second_nat = {
        name: "AWS::EC2::NatGateway" if env.blueprint("network").config.nat_gateways >= 2 else "<absent>"
        for name, env in project.environments.items()
    }
    assert nat.values == second_nat == {"dev": "<absent>", "staging": "<absent>", "prod": "AWS::EC2::NatGateway"}
    assert nat.causes == ["network.nat_gateways"]
    assert "Resources.NatGateway1.Type: dev=<absent>" in format_report(report)


def _with_define(monkeypatch, blueprint, extra):
    original = blueprint.define

    def define(self, template):
        original(self, template)
        extra(self, template)

    monkeypatch.setattr(blueprint, "define", define)


def test_a_resource_only_prod_gets_is_caught(project, monkeypatch):
    def prod_only_queue(self, template):
        if self.context.environment == "prod":
            template.add_resource(sqs.Queue("AuditQueue"))

    _with_define(monkeypatch, FunctionsBlueprint, prod_only_queue)
    report = check(project)
    assert not report.ok
    (found,) = [d for d in report.unexplained if d.path == "Resources.AuditQueue.Type"]
    assert found.name_driven and found.values["prod"] == "AWS::SQS::Queue"
    assert "depends on the environment's name" in format_report(report)


def test_a_property_chosen_by_environment_name_is_caught(project, monkeypatch):
    def bigger_in_prod(self, template):
        if self.context.environment == "prod":
            template.resources["PaymentProcessorFunction"].MemorySize = 4096

    _with_define(monkeypatch, FunctionsBlueprint, bigger_in_prod)
    report = check(project)
    paths = {d.path for d in report.unexplained}
    assert paths == {"Resources.PaymentProcessorFunction.Properties.MemorySize"}


def test_a_name_that_is_more_than_a_name_is_caught(project, monkeypatch):
    """Writing the name differently (here upper-cased) is not a plain rename."""

    def shouting_tag(self, template):
        template.resources["LogsBucket"].Tags = Tags(Env=self.context.environment.upper())

    _with_define(monkeypatch, StorageBlueprint, shouting_tag)
    assert any(d.path.startswith("Resources.LogsBucket.Properties.Tags") for d in check(project).unexplained)


def test_a_stack_definition_that_differs_per_environment_is_caught(project, project_copy):
    root = project_copy()
    link = root / "config" / "prod" / "api.yaml"
    text = link.read_text()
    link.unlink()
    link.write_text(text + "stack_tags: {Owner: prod-team}\n")
    report = check(load_project(root), root)
    assert report.problems == ["api: the stack definition differs in prod (config/<env>/api.yaml)"]
    assert not report.ok and "UNEXPLAINED: api: the stack definition differs" in format_report(report)


def test_a_setting_difference_without_a_declared_cause_is_caught(project, monkeypatch):
    """A difference in a setting-driven value that no per-environment setting explains."""
    original = Context.tags

    def tags(self, stack):
        return {**original(self, stack), "CostCentre": "cc-1" if self.environment == "dev" else "cc-2"}

    monkeypatch.setattr(Context, "tags", tags)
    report = check(project)
    assert {d.stack for d in report.unexplained} == set(BLUEPRINTS)


def test_flatten_marks_presence_and_leaves():
    assert flatten({"Resources": {"A": {"Type": "T", "Properties": {"L": [1, {"k": "v"}], "E": {}}}}}) == {
        "Resources.A.Type": "T",
        "Resources.A.Properties.L[0]": 1,
        "Resources.A.Properties.L[1].k": "v",
        "Resources.A.Properties.E": {},
    }


def test_neutral_name_is_not_an_environment(project):
    assert NEUTRAL_NAME not in project.environments
    assert json.loads(project.environments["dev"].render("data"))  # sanity: rendering works

"""blueprints.testing on small hand-made templates: every matcher and assertion, when it
holds and when it fails (and what the failure says)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap

import pytest
from troposphere import Template, sqs

from blueprints.testing import Capture, Match, TemplateAssertions
from tests.conftest import ROOT

BODY = {"widgets": [{"type": "text", "width": 24}], "start": "-PT6H"}
TEMPLATE = {
    "Parameters": {"Env": {"Type": "String", "Default": "dev", "AllowedValues": ["dev", "prod"]}},
    "Conditions": {"IsProd": {"Fn::Equals": [{"Ref": "Env"}, "prod"]}},
    "Mappings": {"Sizes": {"dev": {"Memory": 256}, "prod": {"Memory": 1024}}},
    "Resources": {
        "Orders": {
            "Type": "AWS::SQS::Queue",
            "DeletionPolicy": "Retain",
            "Properties": {
                "QueueName": "shop-orders",
                "VisibilityTimeout": 30,
                "Tags": [{"Key": "Team", "Value": "a"}, {"Key": "Env", "Value": "dev"}],
            },
        },
        "Refunds": {
            "Type": "AWS::SQS::Queue",
            "Properties": {"QueueName": "shop-refunds", "VisibilityTimeout": 60, "FifoQueue": True},
        },
        "Alerts": {"Type": "AWS::SNS::Topic"},
        "Board": {"Type": "AWS::CloudWatch::Dashboard", "Properties": {"DashboardBody": json.dumps(BODY)}},
    },
    "Outputs": {
        "OrdersUrl": {"Value": {"Ref": "Orders"}, "Export": {"Name": "orders-url"}},
        "RefundsUrl": {"Value": {"Ref": "Refunds"}},
    },
}
QUEUE = "AWS::SQS::Queue"


@pytest.fixture
def t() -> TemplateAssertions:
    return TemplateAssertions(json.loads(json.dumps(TEMPLATE)))


def _failure(call, *args) -> str:
    with pytest.raises(AssertionError) as caught:
        call(*args)
    return str(caught.value)


# -- plain patterns ---------------------------------------------------------------------------


def test_a_plain_dict_matches_partially_and_a_list_element_by_element(t):
    assert t.has_resource_properties(QUEUE, {"VisibilityTimeout": 30}) == ["Orders"]
    assert t.has_resource_properties(QUEUE, {"Tags": [{"Key": "Team"}, {"Value": "dev"}]}) == ["Orders"]
    assert t.has_resource(QUEUE, {"DeletionPolicy": "Retain", "Properties": {"QueueName": "shop-orders"}}) == ["Orders"]
    message = _failure(t.has_resource_properties, QUEUE, {"Tags": [{"Key": "Team"}]})
    assert 'Orders.Properties.Tags: expected [{"Key": "Team"}], got [{"Key": "Team", "Value": "a"}, ' in message
    message = _failure(t.has_resource_properties, QUEUE, {"QueueName": {"Name": "x"}})
    assert 'Orders.Properties.QueueName: expected an object, got "shop-orders"' in message
    message = _failure(t.has_resource_properties, QUEUE, {"Missing": 1})
    assert "Orders.Properties.Missing: missing (expected 1)" in message


def test_a_bool_is_not_a_number(t):
    t.has_resource_properties(QUEUE, {"FifoQueue": True})
    message = _failure(t.has_resource_properties, QUEUE, {"FifoQueue": 1})
    assert "Refunds.Properties.FifoQueue: expected 1, got true" in message


def test_a_failure_names_the_type_and_the_closest_resources_first(t):
    message = _failure(t.has_resource_properties, QUEUE, {"QueueName": "shop-order", "FifoQueue": Match.absent()})
    assert message.splitlines() == [
        "no AWS::SQS::Queue matches the pattern (of 2 in the template); closest:",
        "  Orders (1 difference)",
        '    Orders.Properties.QueueName: expected "shop-order", got "shop-orders"',
        "  Refunds (2 differences)",
        '    Refunds.Properties.QueueName: expected "shop-order", got "shop-refunds"',
        "    Refunds.Properties.FifoQueue: expected absent, got true",
        '  pattern: {"QueueName": "shop-order", "FifoQueue": absent}',
    ]


def test_a_failure_shows_at_most_three_candidates_and_eight_differences():
    many = {f"Q{i}": {"Type": QUEUE, "Properties": {f"P{j}": j for j in range(i + 1)}} for i in range(10)}
    pattern = {f"P{j}": "x" for j in range(10)}
    message = _failure(TemplateAssertions({"Resources": many}).has_resource_properties, QUEUE, pattern)
    assert "  Q0 (10 differences)" in message and "  Q1 (10 differences)" in message
    assert "    ... and 2 more" in message
    assert "  ... and 7 other AWS::SQS::Queue further off" in message


def test_long_values_are_cut_short_in_messages():
    long_name = "q" * 300
    t = TemplateAssertions({"Resources": {"Q": {"Type": QUEUE, "Properties": {"QueueName": long_name}}}})
    message = _failure(t.has_resource_properties, QUEUE, {"QueueName": "short"})
    assert f'got "{"q" * 100}' in message and long_name not in message and '..."' not in message
    assert re.search(r'got "q+\.\.\.$', message, re.MULTILINE)


# -- Match ------------------------------------------------------------------------------------


def test_absent_and_any_value(t):
    assert t.has_resource_properties(QUEUE, {"FifoQueue": Match.absent()}) == ["Orders"]
    assert t.has_resource_properties(QUEUE, {"FifoQueue": Match.any_value()}) == ["Refunds"]
    assert "Refunds.Properties.FifoQueue: expected absent, got true" in _failure(
        t.all_resources_properties, QUEUE, {"FifoQueue": Match.absent()}
    )
    assert "Orders.Properties.FifoQueue: missing (expected any value)" in _failure(
        t.all_resources_properties, QUEUE, {"FifoQueue": Match.any_value()}
    )
    nulls = TemplateAssertions({"Resources": {"Q": {"Type": QUEUE, "Properties": {"QueueName": None}}}})
    assert "Q.Properties.QueueName: expected any value, got null" in _failure(
        nulls.has_resource_properties, QUEUE, {"QueueName": Match.any_value()}
    )
    nulls.has_resource_properties(QUEUE, {"QueueName": None})  # a null key is present, not absent
    assert "expected absent, got null" in _failure(nulls.has_resource_properties, QUEUE, {"QueueName": Match.absent()})
    assert (repr(Match.absent()), repr(Match.any_value())) == ("absent", "any_value")


def test_exact_and_object_equals_refuse_other_keys_at_every_depth(t):
    tags = [{"Key": "Team", "Value": "a"}, {"Key": "Env", "Value": "dev"}]
    t.has_resource_properties(QUEUE, {"Tags": Match.exact(tags)})
    t.has_resource_properties(
        QUEUE, Match.object_equals({"QueueName": "shop-orders", "VisibilityTimeout": 30, "Tags": tags})
    )
    t.has_resource_properties(
        QUEUE,
        Match.object_equals(
            {"QueueName": "shop-refunds", "VisibilityTimeout": 60, "FifoQueue": True, "Tags": Match.absent()}
        ),
    )
    t.has_resource_properties(QUEUE, {"VisibilityTimeout": Match.exact(60)})
    message = _failure(t.has_resource_properties, QUEUE, {"Tags": Match.exact([{"Key": "Team"}, {"Key": "Env"}])})
    assert 'Orders.Properties.Tags[0].Value: unexpected key (value "a")' in message
    assert 'Orders.Properties.Tags[1].Value: unexpected key (value "dev")' in message
    message = _failure(t.has_resource_properties, QUEUE, Match.object_equals({"QueueName": "shop-orders"}))
    assert "Orders.Properties.VisibilityTimeout: unexpected key (value 30)" in message
    assert "Orders (2 differences)" in message  # VisibilityTimeout and Tags


def test_object_like_is_partial_again_inside_an_exact_pattern(t):
    t.has_resource(
        QUEUE, Match.object_equals({"Type": QUEUE, "Properties": Match.object_like({"VisibilityTimeout": 60})})
    )
    message = _failure(
        t.has_resource, QUEUE, Match.object_equals({"Type": QUEUE, "Properties": {"VisibilityTimeout": 60}})
    )
    assert "Refunds.Properties.QueueName: unexpected key" in message
    assert message.index("  Refunds (2 differences)") < message.index("  Orders (4 differences)")
    assert '    Orders.DeletionPolicy: unexpected key (value "Retain")' in message
    with pytest.raises(TypeError, match=r"Match.object_like takes a dict, got list"):
        Match.object_like([])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"Match.object_equals takes a dict, got str"):
        Match.object_equals("x")  # type: ignore[arg-type]


def test_array_with_finds_elements_in_order_among_others(t):
    t.has_resource_properties(QUEUE, {"Tags": Match.array_with([{"Key": "Env"}])})
    t.has_resource_properties(QUEUE, {"Tags": Match.array_with([{"Key": "Team"}, {"Value": "dev"}])})
    t.has_resource_properties(QUEUE, {"Tags": Match.array_with([])})
    message = _failure(t.has_resource_properties, QUEUE, {"Tags": Match.array_with([{"Key": "Env"}, {"Key": "Team"}])})
    assert (
        'Orders.Properties.Tags: no element after index 1 (elements match in order) matches {"Key": "Team"}' in message
    )
    message = _failure(t.has_resource_properties, QUEUE, {"Tags": Match.array_with([{"Key": "Owner", "Value": "a"}])})
    assert (
        'Orders.Properties.Tags: no element matches {"Key": "Owner", "Value": "a"}; '
        'closest: Orders.Properties.Tags[0].Key: expected "Owner", got "Team"'
    ) in message
    message = _failure(t.has_resource_properties, QUEUE, {"QueueName": Match.array_with(["x"])})
    assert 'Orders.Properties.QueueName: expected a list containing ["x"], got "shop-orders"' in message
    assert 'Refunds.Properties.Tags: expected a list containing ["x"], got nothing' in _failure(
        t.all_resources_properties, QUEUE, {"Tags": Match.array_with(["x"])}
    )
    with pytest.raises(TypeError, match="Match.array_with takes a list"):
        Match.array_with("ab")  # type: ignore[arg-type]


def test_array_with_matches_elements_exactly_inside_an_exact_pattern(t):
    t.has_resource_properties(QUEUE, Match.object_like({"Tags": Match.array_with([{"Key": "Env"}])}))
    message = _failure(t.has_resource, QUEUE, {"Properties": Match.exact({"Tags": Match.array_with([{"Key": "Env"}])})})
    assert "Orders.Properties.Tags: no element matches" in message
    assert "closest: Orders.Properties.Tags[1].Value: unexpected key" in message  # Tags[1] has the right Key


def test_array_equals(t):
    t.has_resource_properties(
        QUEUE, {"Tags": Match.array_equals([{"Key": "Team", "Value": "a"}, {"Key": "Env", "Value": "dev"}])}
    )
    message = _failure(t.has_resource_properties, QUEUE, {"Tags": Match.array_equals([{"Key": "Team", "Value": "a"}])})
    assert 'Orders.Properties.Tags: expected [{"Key": "Team", "Value": "a"}], got [' in message
    message = _failure(
        t.has_resource_properties, QUEUE, {"Tags": Match.array_equals([{"Key": "Team"}, {"Key": "Env"}])}
    )
    assert "Orders.Properties.Tags[0].Value: unexpected key" in message
    with pytest.raises(TypeError, match="Match.array_equals takes a list"):
        Match.array_equals({"a": 1})  # type: ignore[arg-type]


def test_string_like_regexp_searches_strings(t):
    assert t.all_resources_properties(QUEUE, {"QueueName": Match.string_like_regexp("^shop-")}) == ["Orders", "Refunds"]
    assert t.has_resource_properties(QUEUE, {"QueueName": Match.string_like_regexp("fund")}) == ["Refunds"]
    message = _failure(t.has_resource_properties, QUEUE, {"QueueName": Match.string_like_regexp("^orders$")})
    assert 'Orders.Properties.QueueName: expected a string matching /^orders$/, got "shop-orders"' in message
    message = _failure(t.has_resource_properties, QUEUE, {"VisibilityTimeout": Match.string_like_regexp("30")})
    assert "Orders.Properties.VisibilityTimeout: expected a string matching /30/, got 30" in message
    assert "Orders.Properties.FifoQueue: expected a string matching /x/, got nothing" in _failure(
        t.has_resource_properties, QUEUE, {"FifoQueue": Match.string_like_regexp("x")}
    )
    assert repr(Match.string_like_regexp("^a")) == "string_like_regexp('^a')"
    with pytest.raises(re.error):
        Match.string_like_regexp("(")


def test_not_matches_what_its_pattern_does_not(t):
    assert t.has_resource_properties(QUEUE, {"QueueName": Match.not_("shop-orders")}) == ["Refunds"]
    # A missing key is not "true", but it is absent.
    assert t.all_resources_properties(QUEUE, {"Missing": Match.not_(True)}) == ["Orders", "Refunds"]
    assert t.has_resource_properties(QUEUE, {"FifoQueue": Match.not_(Match.absent())}) == ["Refunds"]
    no_owner = {"Tags": Match.not_(Match.array_with([{"Key": "Owner"}]))}
    assert t.has_resource_properties(QUEUE, no_owner) == ["Orders", "Refunds"]  # Refunds has no tags at all
    message = _failure(t.all_resources_properties, QUEUE, {"QueueName": Match.not_(Match.string_like_regexp("^shop-"))})
    assert (
        "Orders.Properties.QueueName: expected anything but string_like_regexp('^shop-'), got \"shop-orders\""
        in message
    )
    message = _failure(t.all_resources_properties, QUEUE, {"Tags": Match.not_(Match.absent())})
    assert "Refunds.Properties.Tags: expected anything but absent, got nothing" in message


def test_serialized_json_parses_the_string_and_matches_inside(t):
    t.has_resource_properties(
        "AWS::CloudWatch::Dashboard", {"DashboardBody": Match.serialized_json({"widgets": [{"type": "text"}]})}
    )
    t.has_resource_properties(
        "AWS::CloudWatch::Dashboard", {"DashboardBody": Match.serialized_json(Match.object_equals(BODY))}
    )
    message = _failure(
        t.has_resource_properties,
        "AWS::CloudWatch::Dashboard",
        {"DashboardBody": Match.serialized_json({"start": "-P1D"})},
    )
    assert 'Board.Properties.DashboardBody(json).start: expected "-P1D", got "-PT6H"' in message
    message = _failure(t.has_resource_properties, QUEUE, {"QueueName": Match.serialized_json({})})
    assert 'Orders.Properties.QueueName: expected a JSON string, got "shop-orders" (Expecting value' in message
    message = _failure(t.has_resource_properties, QUEUE, {"VisibilityTimeout": Match.serialized_json(30)})
    assert "Orders.Properties.VisibilityTimeout: expected a JSON string, got 30" in message


# -- Capture ----------------------------------------------------------------------------------


def test_capture_records_what_it_matched_in_logical_id_order(t):
    name, timeout = Capture(), Capture()
    t.has_resource_properties(QUEUE, {"QueueName": name, "VisibilityTimeout": timeout})
    assert name.values == ["shop-orders", "shop-refunds"]
    assert name.as_string() == "shop-orders" and timeout.as_number() == 30
    assert name.next() and name.as_string() == "shop-refunds"
    assert not name.next() and name.as_string() == "shop-refunds"  # stays on the last one
    fifo, tags, export = Capture(), Capture(), Capture()
    t.has_resource_properties(QUEUE, {"FifoQueue": fifo, "Tags": Match.absent()})
    t.has_resource_properties(QUEUE, {"Tags": tags})
    t.has_output("OrdersUrl", {"Export": export})
    assert fifo.as_boolean() is True
    assert tags.as_array() == TEMPLATE["Resources"]["Orders"]["Properties"]["Tags"]
    assert export.as_object() == {"Name": "orders-url"}


def test_capture_with_a_pattern_keeps_only_values_it_matches(t):
    refunds = Capture(Match.string_like_regexp("refunds"))
    assert t.has_resource_properties(QUEUE, {"QueueName": refunds}) == ["Refunds"]
    assert refunds.values == ["shop-refunds"]
    assert repr(refunds) == "Capture(string_like_regexp('refunds'))" and repr(Capture()) == "Capture()"
    long_timeout = Capture(Match.not_(30))
    message = _failure(t.all_resources_properties, QUEUE, {"VisibilityTimeout": long_timeout})
    assert "Orders.Properties.VisibilityTimeout: expected anything but 30, got 30" in message
    assert long_timeout.values == [60]  # Refunds matched, so its value was kept


def test_a_capture_keeps_nothing_from_a_candidate_that_does_not_match_as_a_whole(t):
    name = Capture()
    t.has_resource_properties(QUEUE, {"QueueName": name, "FifoQueue": True})
    assert name.values == ["shop-refunds"]
    dropped = Capture()
    with pytest.raises(AssertionError):
        t.has_resource_properties(QUEUE, {"QueueName": Match.not_(dropped)})
    assert dropped.values == []
    key = Capture()
    t.has_resource_properties(QUEUE, {"Tags": Match.array_with([{"Key": key, "Value": "dev"}])})
    assert key.values == ["Env"]  # "Team" was tried first, but its element did not match


def test_capture_fails_clearly_when_it_has_nothing_or_another_type(t):
    nothing = Capture()
    assert _failure(nothing.as_string) == "Capture() captured nothing: no assertion matched a value with it"
    with pytest.raises(AssertionError):
        t.has_resource_properties(QUEUE, {"QueueName": nothing, "Missing": 1})
    assert "captured nothing" in _failure(nothing.as_array)
    assert not nothing.next()
    timeout = Capture()
    t.has_resource_properties(QUEUE, {"QueueName": "shop-orders", "VisibilityTimeout": timeout})
    assert _failure(timeout.as_string) == "Capture() captured number 30 (value 1 of 1), not a string"
    for method, kind in [("as_boolean", "boolean"), ("as_array", "array"), ("as_object", "object")]:
        assert _failure(getattr(timeout, method)).endswith(f"not a {kind}")
    fifo = Capture()
    t.has_resource_properties(QUEUE, {"FifoQueue": fifo})
    assert "captured boolean true" in _failure(fifo.as_number)  # a bool is not a number
    missing = Capture()
    assert "Orders.Properties.FifoQueue: missing (expected a value to capture)" in _failure(
        t.all_resources_properties, QUEUE, {"FifoQueue": missing}
    )


# -- assertions -------------------------------------------------------------------------------


def test_a_type_the_template_lacks_is_named_with_the_types_it_has(t):
    for assertion in (t.has_resource, t.has_resource_properties, t.all_resources, t.all_resources_properties):
        assert _failure(assertion, "AWS::S3::Bucket", {}) == (
            "template has no AWS::S3::Bucket (types present: "
            "['AWS::CloudWatch::Dashboard', 'AWS::SNS::Topic', 'AWS::SQS::Queue'])"
        )


def test_properties_patterns_hold_for_resources_without_properties(t):
    assert t.has_resource_properties("AWS::SNS::Topic", {"TopicName": Match.absent()}) == ["Alerts"]
    assert t.has_resource_properties("AWS::SNS::Topic", {}) == ["Alerts"]
    assert t.properties("Alerts") == {}
    assert "Alerts.Properties: missing" in _failure(t.has_resource, "AWS::SNS::Topic", {"Properties": {}})


def test_all_resources_lists_each_resource_that_does_not_match(t):
    assert t.all_resources(QUEUE, {"Properties": {"QueueName": Match.any_value()}}) == ["Orders", "Refunds"]
    assert t.all_resources_properties(QUEUE, {"VisibilityTimeout": Match.any_value()}) == ["Orders", "Refunds"]
    message = _failure(t.all_resources_properties, QUEUE, {"VisibilityTimeout": 30, "Tags": Match.any_value()})
    assert message.splitlines() == [
        "1 of 2 AWS::SQS::Queue do not match the pattern:",
        "  Refunds (2 differences)",
        "    Refunds.Properties.VisibilityTimeout: expected 30, got 60",
        "    Refunds.Properties.Tags: missing (expected any value)",
        '  pattern: {"VisibilityTimeout": 30, "Tags": any_value}',
    ]
    message = _failure(t.all_resources, QUEUE, {"DeletionPolicy": "Delete"})
    assert message.splitlines()[:5] == [
        "2 of 2 AWS::SQS::Queue do not match the pattern:",
        "  Orders (1 difference)",
        '    Orders.DeletionPolicy: expected "Delete", got "Retain"',
        "  Refunds (1 difference)",
        '    Refunds.DeletionPolicy: missing (expected "Delete")',
    ]


def test_resource_counts(t):
    assert t.resource_count_is(QUEUE, 2) == ["Orders", "Refunds"]
    assert t.resource_count_is("AWS::S3::Bucket", 0) == []
    assert _failure(t.resource_count_is, QUEUE, 1) == "expected 1 AWS::SQS::Queue, found 2: ['Orders', 'Refunds']"
    assert t.resource_properties_count_is(QUEUE, {"QueueName": Match.string_like_regexp("^shop-")}, 2) == [
        "Orders",
        "Refunds",
    ]
    assert t.resource_properties_count_is(QUEUE, {"FifoQueue": True}, 1) == ["Refunds"]
    assert t.resource_properties_count_is("AWS::S3::Bucket", {}, 0) == []
    message = _failure(t.resource_properties_count_is, QUEUE, {"VisibilityTimeout": 30}, 2)
    assert message.splitlines() == [
        "expected 2 AWS::SQS::Queue with properties matching the pattern, found 1: ['Orders']",
        '  pattern: {"VisibilityTimeout": 30}',
        "closest of the others:",
        "  Refunds (1 difference)",
        "    Refunds.Properties.VisibilityTimeout: expected 30, got 60",
    ]
    message = _failure(t.resource_properties_count_is, QUEUE, {}, 1)
    assert message.splitlines()[0] == (
        "expected 1 AWS::SQS::Queue with properties matching the pattern, found 2: ['Orders', 'Refunds']"
    )
    assert "closest" not in message


def test_find_in_every_section(t):
    assert list(t.find_resources(QUEUE)) == ["Orders", "Refunds"]
    assert list(t.find_resources(QUEUE, {"DeletionPolicy": "Retain"})) == ["Orders"]
    assert t.find_resources(QUEUE, {"DeletionPolicy": "Snapshot"}) == {}
    assert list(t.find_outputs({"Export": Match.any_value()})) == ["OrdersUrl"]
    assert list(t.find_outputs()) == ["OrdersUrl", "RefundsUrl"]
    assert list(t.find_parameters({"Type": "String"})) == ["Env"]
    assert t.find_parameters({"Type": "Number"}) == {}
    assert list(t.find_conditions({"Fn::Equals": Match.array_with(["prod"])})) == ["IsProd"]
    assert list(t.find_mappings({"prod": {"Memory": 1024}})) == ["Sizes"]
    assert t.find_mappings({"prod": {"Memory": 1}}) == {}


def test_outputs_parameters_conditions_and_mappings(t):
    assert t.has_output("OrdersUrl", {"Value": {"Ref": "Orders"}})["Export"] == {"Name": "orders-url"}
    assert t.has_output("RefundsUrl") == {"Value": {"Ref": "Refunds"}}
    assert _failure(t.has_output, "Nope") == "no output 'Nope'; outputs are ['OrdersUrl', 'RefundsUrl']"
    assert _failure(t.has_output, "RefundsUrl", {"Export": Match.any_value()}) == (
        "output 'RefundsUrl' does not match the pattern:\n  Outputs.RefundsUrl.Export: missing (expected any value)"
    )
    assert t.has_parameter("Env", "String", {"AllowedValues": Match.array_with(["prod"])})["Default"] == "dev"
    assert _failure(t.has_parameter, "Env", "Number") == "parameter 'Env' is String, expected Number"
    assert _failure(t.has_parameter, "Env", None, {"Default": "prod"}) == (
        'parameter \'Env\' does not match the pattern:\n  Parameters.Env.Default: expected "prod", got "dev"'
    )
    assert _failure(t.has_parameter, "Nope") == "no parameter 'Nope'; parameters are ['Env']"
    assert t.has_condition("IsProd", {"Fn::Equals": [{"Ref": "Env"}, "prod"]}) == {
        "Fn::Equals": [{"Ref": "Env"}, "prod"]
    }
    assert 'Conditions.IsProd.Fn::Equals[1]: expected "dev", got "prod"' in _failure(
        t.has_condition, "IsProd", {"Fn::Equals": [{"Ref": "Env"}, "dev"]}
    )
    assert _failure(t.has_condition, "IsDev") == "no condition 'IsDev'; conditions are ['IsProd']"
    assert t.has_mapping("Sizes", {"dev": {"Memory": 256}})["prod"] == {"Memory": 1024}
    assert "Mappings.Sizes.dev.Memory: expected 512, got 256" in _failure(
        t.has_mapping, "Sizes", {"dev": {"Memory": 512}}
    )
    assert _failure(t.has_mapping, "Nope") == "no mapping 'Nope'; mappings are ['Sizes']"


def test_template_matches_the_whole_template(t):
    t.template_matches({"Resources": {"Orders": {"DeletionPolicy": "Retain"}}, "Outputs": Match.any_value()})
    t.template_matches({"Transform": Match.absent(), "Parameters": {"Env": {"Type": "String"}}})
    message = _failure(
        t.template_matches,
        {"Resources": {"Orders": {"DeletionPolicy": "Delete"}, "Refunds": {"Type": "AWS::SNS::Topic"}}},
    )
    assert message.splitlines() == [
        "the template does not match the pattern (2 differences):",
        '  Resources.Orders.DeletionPolicy: expected "Delete", got "Retain"',
        '  Resources.Refunds.Type: expected "AWS::SNS::Topic", got "AWS::SQS::Queue"',
    ]
    message = _failure(t.template_matches, Match.object_equals({"Resources": Match.any_value()}))
    assert "  Parameters: unexpected key" in message and "(4 differences)" in message
    assert _failure(t.template_matches, []).startswith("the template does not match the pattern (1 difference):\n")
    assert "  (template): expected [], got {" in _failure(t.template_matches, [])


def test_a_template_from_troposphere_json_text_or_a_dict():
    template = Template()
    template.add_resource(sqs.Queue("Jobs", QueueName="jobs"))
    from_troposphere = TemplateAssertions(template)
    assert from_troposphere.has_resource_properties(QUEUE, {"QueueName": "jobs"}) == ["Jobs"]
    assert TemplateAssertions(template.to_json()).template == from_troposphere.template
    assert TemplateAssertions(from_troposphere.template).template == from_troposphere.template
    assert _failure(from_troposphere.properties, "Nope") == "no resource 'Nope'; resources are ['Jobs']"


# -- pytest shows the test's line, not this library's frames -----------------------------------

FAILING = textwrap.dedent(
    """
    from blueprints.testing import Capture, TemplateAssertions

    T = TemplateAssertions({"Resources": {"Q": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "a"}}}})


    def test_some():
        T.has_resource_properties("AWS::SQS::Queue", {"QueueName": "b"})


    def test_every():
        T.all_resources_properties("AWS::SQS::Queue", {"QueueName": "c"})


    def test_capture():
        Capture().as_object()


    def test_output():
        T.has_output("Nope")
    """
)


def test_pytest_tracebacks_hide_the_library_frames(tmp_path):
    (tmp_path / "test_failing.py").write_text(FAILING)

    def run(*options):
        return subprocess.run(
            [sys.executable, "-m", "pytest", "test_failing.py", "-p", "no:cacheprovider", "--rootdir", ".", *options],
            check=False,
            cwd=tmp_path,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            capture_output=True,
            text=True,
            timeout=120,
        )

    shown = run()
    assert shown.returncode == 1, shown.stdout + shown.stderr
    assert "4 failed" in shown.stdout
    for line in (
        "AssertionError: no AWS::SQS::Queue matches the pattern (of 1 in the template); closest:",
        'Q.Properties.QueueName: expected "b", got "a"',
        "AssertionError: 1 of 1 AWS::SQS::Queue do not match the pattern:",
        'Q.Properties.QueueName: expected "c", got "a"',
        "AssertionError: Capture() captured nothing: no assertion matched a value with it",
        "AssertionError: no output 'Nope'; outputs are []",
        '>       T.has_resource_properties("AWS::SQS::Queue", {"QueueName": "b"})',
    ):
        assert line in shown.stdout, shown.stdout
    assert "testing.py" not in shown.stdout, shown.stdout
    # The same run with every frame shown does print them: the check above can fail.
    full = run("--full-trace")
    assert f"blueprints{os.sep}testing.py" in full.stdout

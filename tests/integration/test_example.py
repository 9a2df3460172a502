"""The example project (examples/orders) launched on the emulator as another team would: from
a fresh environment where the wheel (with its `[sceptre]` extra) and the example are
installed (tests/wheel.py), with that environment's Sceptre command line: the library's
network and storage stacks and the team's own orders stack, its function package built and
uploaded by the library's resolver."""

from __future__ import annotations

import boto3

from local_aws.client.launched import sceptre_launch


def test_the_example_project_launches_from_the_wheel_and_holds_what_it_declares(emulator, installed_wheel):
    project, sceptre = installed_wheel.example / "sceptre", installed_wheel.sceptre
    launch = sceptre_launch(emulator, "dev", project, sceptre=sceptre)
    assert launch.returncode == 0, launch.output[-4000:]
    cloudformation = boto3.client("cloudformation", region_name="eu-west-1")
    for stack in ("network", "storage", "orders"):
        (described,) = cloudformation.describe_stacks(StackName=f"orders-dev-{stack}")["Stacks"]
        assert described["StackStatus"] == "CREATE_COMPLETE", stack
    table = boto3.client("dynamodb", region_name="eu-west-1").describe_table(TableName="orders-dev-orders")["Table"]
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert [i["IndexName"] for i in table["GlobalSecondaryIndexes"]] == ["ByCustomer"]
    function = boto3.client("lambda", region_name="eu-west-1").get_function_configuration(
        FunctionName="orders-dev-order-reader"
    )
    assert function["Environment"]["Variables"] == {"ORDERS_TABLE": "orders-dev-orders"}
    again = sceptre_launch(emulator, "dev", project, sceptre=sceptre)
    assert again.returncode == 0 and again.output.count("No updates to perform") == 3

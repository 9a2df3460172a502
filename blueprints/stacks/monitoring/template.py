"""The monitoring stack's blueprint, and the alarms its composite combines."""

from __future__ import annotations

import json
from typing import Any

from troposphere import Ref, Sub, Template, cloudwatch

from blueprints.blocks.alarms import AlarmTopics, alarm_topic_arn
from blueprints.core import Blueprint, Context, add_output, add_parameter
from blueprints.stacks.api.settings import api_alarm_names
from blueprints.stacks.data.settings import TABLES, table_alarm_names, table_name
from blueprints.stacks.edge.settings import EDGE_REGION
from blueprints.stacks.functions.catalogue import DEPLOYED, FunctionSpec, function_alarm_names
from blueprints.stacks.monitoring.settings import MonitoringConfig, unhealthy_alarm_name


def _function(title: str) -> FunctionSpec:
    return next(spec for spec in DEPLOYED if spec.title == title)


def composite_members(context: Context) -> list[str]:
    """Every alarm of the environment's region whose firing means payments are failing or
    about to: the API's, each function's and each table's."""
    return [*api_alarm_names(context), *function_alarm_names(context), *table_alarm_names(context)]


class MonitoringBlueprint(Blueprint[MonitoringConfig]):
    name = "monitoring"
    description = "Alarm topics, the composite alarm that pages, and the environment's dashboard"
    config_model = MonitoringConfig

    def define(self, t: Template) -> None:
        cfg = self.config
        stage = add_parameter(t, "StageName", "The API's stage (its metrics' Stage dimension)")
        AlarmTopics(
            t,
            "AlarmTopics",
            context=self.context,
            alarm_subscriptions=cfg.alarm_subscriptions,
            page_subscriptions=cfg.page_subscriptions,
            key_deletion_window_days=cfg.key_deletion_window_days,
        )
        members = composite_members(self.context)
        unhealthy = t.add_resource(
            cloudwatch.CompositeAlarm(
                "PaymentsUnhealthyAlarm",
                AlarmName=unhealthy_alarm_name(self.context),
                AlarmDescription=(
                    f"Payments in {self.context.environment} are failing or about to: one of "
                    f"{len(members)} alarms of the API, the functions or the tables fired (see the dashboard "
                    f"{self.context.name()} and the alarms topic)."
                ),
                AlarmRule=" OR ".join(f'ALARM("{name}")' for name in members),
                AlarmActions=[alarm_topic_arn(self.context, "pages")],
                OKActions=[alarm_topic_arn(self.context, "pages")],
            )
        )
        dashboard = t.add_resource(
            cloudwatch.Dashboard(
                "Dashboard",
                DashboardName=self.context.name(),
                DashboardBody=Sub(json.dumps(self._dashboard(), separators=(",", ":")), StageName=Ref(stage)),
            )
        )
        add_output(t, "PaymentsUnhealthyAlarmName", Ref(unhealthy), "The alarm that pages")
        add_output(t, "DashboardName", Ref(dashboard), "The environment's dashboard")

    # --- the dashboard ---------------------------------------------------------------------

    def _dashboard(self) -> dict[str, Any]:
        """Rows of graphs, one row per layer; `${AWS::Region}` and `${StageName}` are filled in
        by CloudFormation."""
        rows: list[tuple[str, list[dict[str, Any]]]] = [
            ("Payments", self._payments()),
            ("Edge (CloudFront and its web ACL, us-east-1)", self._edge()),
            ("API", self._api()),
            ("Functions", self._functions()),
            ("Tables", self._tables()),
        ]
        widgets: list[dict[str, Any]] = []
        y = 0
        for title, graphs in rows:
            widgets.append(
                {"type": "text", "x": 0, "y": y, "width": 24, "height": 1, "properties": {"markdown": f"## {title}"}}
            )
            y += 1
            for n, graph in enumerate(graphs):
                widgets.append(
                    {
                        "type": "metric",
                        "x": (n % 4) * 6,
                        "y": y + (n // 4) * 6,
                        "width": 6,
                        "height": 6,
                        "properties": graph,
                    }
                )
            y += 6 * ((len(graphs) + 3) // 4)
        return {"widgets": widgets}

    def _graph(
        self, title: str, metrics: list[list[Any]], *, region: str = "${AWS::Region}", **extra: Any
    ) -> dict[str, Any]:
        return {
            "title": title,
            "region": region,
            "view": "timeSeries",
            "stacked": False,
            "period": self.config.dashboard_period_seconds,
            "metrics": metrics,
            **extra,
        }

    def _payments(self) -> list[dict[str, Any]]:
        """The handlers' own metrics (embedded metric format, lambda_code/common/metrics.py)."""
        namespace = self.context.project  # the functions' POWERTOOLS_METRICS_NAMESPACE

        def by_service(metric: str) -> dict[str, Any]:
            search = f"SEARCH('{{{namespace},service}} MetricName=\"{metric}\"', 'Sum')"
            return {"expression": search, "id": metric[0].lower() + metric[1:]}

        payments = ["service", _function("PaymentProcessor").name]
        sessions = ["service", _function("SessionManager").name]
        return [
            self._graph(
                "Payments recorded and replayed",
                [
                    [namespace, "PaymentsRecorded", *payments, {"stat": "Sum"}],
                    [namespace, "IdempotentReplays", *payments, {"stat": "Sum"}],
                ],
            ),
            self._graph(
                "Sessions started and ended",
                [
                    [namespace, "SessionsStarted", *sessions, {"stat": "Sum"}],
                    [namespace, "SessionsEnded", *sessions, {"stat": "Sum"}],
                ],
            ),
            self._graph(
                "Refusals by code",
                [
                    [
                        {
                            "expression": f"SEARCH('{{{namespace},Code,service}} MetricName=\"Refusals\"', 'Sum')",
                            "id": "refusals",
                        }
                    ]
                ],
            ),
            self._graph(
                "Authorization refusals and internal errors",
                [[by_service("AuthorizationRefusals")], [by_service("InternalErrors")]],
            ),
        ]

    def _edge(self) -> list[dict[str, Any]]:
        distribution = "{AWS/CloudFront,DistributionId,Region}"
        acl = ["WebACL", self.context.name("edge"), "Rule", "ALL"]
        return [
            self._graph(
                "Requests",
                [[{"expression": f"SEARCH('{distribution} MetricName=\"Requests\"', 'Sum')", "id": "requests"}]],
                region=EDGE_REGION,
            ),
            self._graph(
                "Error rate (%)",
                [
                    [{"expression": f"SEARCH('{distribution} MetricName=\"5xxErrorRate\"', 'Average')", "id": "e5"}],
                    [{"expression": f"SEARCH('{distribution} MetricName=\"4xxErrorRate\"', 'Average')", "id": "e4"}],
                ],
                region=EDGE_REGION,
            ),
            self._graph(
                "Web ACL: allowed and blocked",
                [
                    ["AWS/WAFV2", "AllowedRequests", *acl, {"stat": "Sum"}],
                    ["AWS/WAFV2", "BlockedRequests", *acl, {"stat": "Sum"}],
                ],
                region=EDGE_REGION,
            ),
        ]

    def _api(self) -> list[dict[str, Any]]:
        api = ["ApiName", self.context.name("api"), "Stage", "${StageName}"]
        return [
            self._graph("Requests", [["AWS/ApiGateway", "Count", *api, {"stat": "Sum"}]]),
            self._graph(
                "Errors",
                [
                    ["AWS/ApiGateway", "5XXError", *api, {"stat": "Sum"}],
                    ["AWS/ApiGateway", "4XXError", *api, {"stat": "Sum"}],
                ],
            ),
            self._graph(
                "Latency (ms)",
                [
                    ["AWS/ApiGateway", "Latency", *api, {"stat": "p50"}],
                    ["AWS/ApiGateway", "Latency", *api, {"stat": "p99"}],
                    ["AWS/ApiGateway", "IntegrationLatency", *api, {"stat": "p99"}],
                ],
            ),
        ]

    def _functions(self) -> list[dict[str, Any]]:
        def each(metric: str, stat: str) -> list[list[Any]]:
            return [
                ["AWS/Lambda", metric, "FunctionName", self.context.name(spec.name), {"stat": stat}]
                for spec in DEPLOYED
            ]

        return [
            self._graph("Invocations", each("Invocations", "Sum")),
            self._graph("Errors and throttles", each("Errors", "Sum") + each("Throttles", "Sum")),
            self._graph("Duration p99 (ms)", each("Duration", "p99")),
            self._graph("Concurrent executions", each("ConcurrentExecutions", "Maximum")),
        ]

    def _tables(self) -> list[dict[str, Any]]:
        def each(metric: str, stat: str) -> list[list[Any]]:
            return [
                ["AWS/DynamoDB", metric, "TableName", table_name(self.context, table), {"stat": stat}]
                for table in TABLES
            ]

        return [
            self._graph(
                "Consumed capacity",
                each("ConsumedReadCapacityUnits", "Sum") + each("ConsumedWriteCapacityUnits", "Sum"),
            ),
            self._graph(
                "Throttled reads and writes", each("ReadThrottleEvents", "Sum") + each("WriteThrottleEvents", "Sum")
            ),
            self._graph(
                "Request latency (ms)",
                [
                    [
                        "AWS/DynamoDB",
                        "SuccessfulRequestLatency",
                        "TableName",
                        table_name(self.context, table),
                        "Operation",
                        operation,
                        {"stat": "p99"},
                    ]
                    for table, operation in (
                        ("Transactions", "Query"),
                        ("Transactions", "GetItem"),
                        ("Sessions", "GetItem"),
                        ("Idempotency", "GetItem"),
                    )
                ],
            ),
        ]

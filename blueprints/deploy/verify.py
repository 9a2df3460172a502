"""Verification of a launched environment, as deployed, through its public URL: what its
callers and operators rely on, checked end to end.

- a request without a token is refused (401);
- a test customer's payment is recorded (201), and its retry with the same Idempotency-Key
  answers the same payment;
- another customer reading it is told it does not exist (404);
- the stage refuses a request that did not come through CloudFront (403);
- a back-office client may read (200) but not pay;
- an alarm set to ALARM reaches its topic (the alarm's history records the delivery);
- the stage's access logs, the web ACL's logs and CloudFront's access logs arrive where the
  templates send them (bounded waits; "not yet", with what to check, is a warning).

`verify(env, session, endpoints)` runs them with `session` acting in the environment's
account (its administrator: it creates, then deletes, two test customers and a back-office
app client in the user pool, records one test payment of 0.01 and sets the edge's
blocked-requests alarm, which pages nobody, to ALARM and back). `endpoints` says where the
API, the stage and the token endpoint are: `public_endpoints` reads them from the stack
outputs of a real deployment; the local emulator's are on its front door.
"""

from __future__ import annotations

import base64
import json
import secrets
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from blueprints.contract import BACKOFFICE_READ
from blueprints.stacks.edge.settings import EDGE_REGION

if TYPE_CHECKING:
    import boto3

    from blueprints.project.environment import Environment

VERIFY_PREFIX = "verify-"
CHECKED_ALARM = "edge-blocked-requests"  # notifies the alarms topic only: it pages nobody


class VerificationError(RuntimeError):
    """A step of the verification could not be taken; the message says why."""


@dataclass(frozen=True)
class Endpoints:
    """Where a deployed environment answers."""

    api: str  # the public base URL (CloudFront)
    stage: str  # the stage's own URL, which must refuse
    token: str  # the OAuth2 token endpoint (client credentials)


@dataclass(frozen=True)
class Check:
    """One verification: passed, failed, or not yet (a warning: something to look at)."""

    name: str
    passed: bool
    detail: str
    warning: bool = False

    def __str__(self) -> str:
        mark = "ok" if self.passed else "not yet" if self.warning else "FAILED"
        return f"{mark:<7} [{self.name}] {self.detail}"


@dataclass(frozen=True)
class Reply:
    status: int
    headers: dict[str, str]
    text: str

    @property
    def json(self) -> Any:
        return json.loads(self.text) if self.text else None


def send(
    method: str,
    url: str,
    body: object = None,
    *,
    token: str | None = None,
    headers: dict[str, str] | None = None,
    raw: bytes | None = None,
    patience: float = 0.0,
) -> Reply:
    """One HTTP request, any status returned rather than raised. With `patience`, a throttled
    request (429) is sent again after a pause, for up to that many seconds."""
    sent = {"Content-Type": "application/json", **(headers or {})}
    if token is not None:
        sent["Authorization"] = f"Bearer {token}"
    data = raw if raw is not None else None if body is None else json.dumps(body).encode()
    deadline = time.monotonic() + patience
    while True:
        reply = _send_once(urllib.request.Request(url, data=data, headers=sent, method=method))  # noqa: S310
        if reply.status != 429 or time.monotonic() >= deadline:
            return reply
        time.sleep(0.2)


def _send_once(request: urllib.request.Request) -> Reply:
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 - the caller's URL
            return Reply(response.status, dict(response.headers), response.read().decode())
    except urllib.error.HTTPError as err:
        return Reply(err.code, dict(err.headers), err.read().decode())


def public_endpoints(outputs: Mapping[str, Mapping[str, str]]) -> Endpoints:
    """A real deployment's endpoints, from its stacks' outputs (stack -> outputs)."""
    api = outputs["api"]
    return Endpoints(
        api=outputs["cdn"]["ApiUrl"],
        stage=f"https://{api['ApiDomainName']}/{api['StageName']}",
        token=outputs["identity"]["TokenUrl"],
    )


def stack_outputs(env: Environment, session: boto3.Session, project_dir: str | Path) -> dict[str, dict[str, str]]:
    """stack -> its outputs, for every stack of the environment, each read in its region."""
    from blueprints.checks import BOOTSTRAP, deployed_stacks  # noqa: PLC0415

    out = {}
    for stack, deployed in deployed_stacks(env, Path(project_dir) / "config" / env.name).items():
        if stack == BOOTSTRAP:
            continue
        region = deployed.region
        client = session.client("cloudformation", region_name=region)
        (found,) = client.describe_stacks(StackName=env.context.name(stack))["Stacks"]
        out[stack] = {o["OutputKey"]: o["OutputValue"] for o in found.get("Outputs", [])}
    return out


@dataclass
class _Run:
    env: Environment
    session: boto3.Session
    endpoints: Endpoints
    outputs: Mapping[str, Mapping[str, str]]
    wait: float
    started: float = field(default_factory=time.time)
    checks: list[Check] = field(default_factory=list)
    cleanup: list[Callable[[], object]] = field(default_factory=list)
    signin_client: str | None = None  # the temporary app client customers sign in through

    def check(self, name: str, passed: bool, detail: str, *, warning: bool = False) -> bool:
        self.checks.append(Check(name, passed, detail, warning=warning and not passed))
        return passed

    def client(self, service: str, region: str | None = None) -> Any:
        return self.session.client(service, region_name=region or self.env.region)


def verify(
    env: Environment,
    session: boto3.Session,
    endpoints: Endpoints,
    outputs: Mapping[str, Mapping[str, str]],
    *,
    wait: float = 60.0,
) -> list[Check]:
    """Every check above against the deployed environment; test callers are removed after."""
    run = _Run(env, session, endpoints, outputs, wait)
    try:
        _requests(run)
        _alarm_delivery(run)
        _logs(run)
    finally:
        for undo in reversed(run.cleanup):
            try:
                undo()
            except Exception as err:  # leave the others to clean up; say what remains
                run.check("cleanup", False, f"could not remove a test caller: {err}", warning=True)
    return run.checks


def _requests(run: _Run) -> None:
    api = run.endpoints.api
    payment = {"amount": "0.01", "currency": "EUR", "description": "make verify"}
    key = {"Idempotency-Key": f"{VERIFY_PREFIX}{uuid.uuid4()}"}
    refused = send("POST", f"{api}/payments", payment, headers=key)
    run.check("unauthenticated", refused.status == 401, f"a payment without a token: {refused.status} (401 expected)")
    try:
        first_customer, second_customer = _customer_token(run), _customer_token(run)
    except Exception as err:  # a pool that challenges the sign-in, or a permission missing
        run.check("test customers", False, f"could not sign a test customer in: {err}")
        return
    first = send("POST", f"{api}/payments", payment, token=first_customer, headers=key, patience=10)
    if not run.check("payment", first.status == 201, f"a test customer's payment: {first.status} {first.text[:120]}"):
        return
    retry = send("POST", f"{api}/payments", payment, token=first_customer, headers=key, patience=10)
    same = retry.status == 201 and retry.json == first.json
    run.check("retry", same, f"its retry with the same Idempotency-Key: {retry.status}, the same payment: {same}")
    own = f"{api}/payments/{first.json['transactionId']}"
    other = send("GET", own, token=second_customer, patience=10)
    run.check("isolation", other.status == 404, f"another customer reads it: {other.status} (404 expected)")
    direct = send("GET", f"{run.endpoints.stage}/payments/{first.json['transactionId']}", token=first_customer)
    run.check("no path around CloudFront", direct.status == 403, f"the stage called directly: {direct.status}")
    try:
        reader = _backoffice_token(run)
    except Exception as err:  # e.g. the token endpoint not reachable
        run.check("back office read-only", False, f"could not get a back-office token: {err}")
        return
    listing = f"{api}/customers/{_subject(first_customer)}/payments?limit=1"
    read = send("GET", listing, token=reader, patience=10)
    pays = send(
        "POST", f"{api}/payments", payment, token=reader, headers={"Idempotency-Key": f"{VERIFY_PREFIX}{uuid.uuid4()}"}
    )
    run.check(
        "back office read-only",
        read.status == 200 and pays.status in (401, 403),
        f"a back-office client lists a customer's payments: {read.status}, pays: {pays.status}",
    )


def _customer_token(run: _Run) -> str:
    """A temporary customer of the pool and its access token, through a temporary app client
    that allows the administrator's password sign-in (the customer client allows SRP only)."""
    cognito = run.client("cognito-idp")
    pool = run.outputs["identity"]["UserPoolId"]
    if run.signin_client is None:
        created = cognito.create_user_pool_client(
            UserPoolId=pool,
            ClientName=f"{VERIFY_PREFIX}signin",
            ExplicitAuthFlows=["ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        )["UserPoolClient"]["ClientId"]
        run.signin_client = created
        run.cleanup.append(lambda: cognito.delete_user_pool_client(UserPoolId=pool, ClientId=created))
    name, password = f"{VERIFY_PREFIX}{uuid.uuid4().hex[:12]}", secrets.token_urlsafe(24) + "aA1!"
    cognito.admin_create_user(UserPoolId=pool, Username=name, MessageAction="SUPPRESS")
    run.cleanup.append(lambda: cognito.admin_delete_user(UserPoolId=pool, Username=name))
    cognito.admin_set_user_password(UserPoolId=pool, Username=name, Password=password, Permanent=True)
    result = cognito.admin_initiate_auth(
        UserPoolId=pool,
        ClientId=run.signin_client,
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": name, "PASSWORD": password},
    )
    if "AuthenticationResult" not in result:
        raise VerificationError(f"the user pool answered the sign-in with the challenge {result.get('ChallengeName')}")
    return str(result["AuthenticationResult"]["AccessToken"])


def _backoffice_token(run: _Run) -> str:
    cognito = run.client("cognito-idp")
    pool = run.outputs["identity"]["UserPoolId"]
    created = cognito.create_user_pool_client(
        UserPoolId=pool,
        ClientName=f"{VERIFY_PREFIX}backoffice",
        GenerateSecret=True,
        AllowedOAuthFlows=["client_credentials"],
        AllowedOAuthScopes=[BACKOFFICE_READ],
        AllowedOAuthFlowsUserPoolClient=True,
        SupportedIdentityProviders=["COGNITO"],
    )["UserPoolClient"]
    run.cleanup.append(lambda: cognito.delete_user_pool_client(UserPoolId=pool, ClientId=created["ClientId"]))
    basic = base64.b64encode(f"{created['ClientId']}:{created['ClientSecret']}".encode()).decode()
    form = urllib.parse.urlencode({"grant_type": "client_credentials", "scope": BACKOFFICE_READ}).encode()
    request = urllib.request.Request(  # noqa: S310 - the environment's token endpoint
        run.endpoints.token,
        data=form,
        headers={"Authorization": f"Basic {basic}", "Content-Type": "application/x-www-form-urlencoded"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        return str(json.loads(response.read())["access_token"])


def _subject(token: str) -> str:
    payload = token.split(".")[1]
    return str(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["sub"])


def _alarm_delivery(run: _Run) -> None:
    """Set the edge's blocked-requests alarm to ALARM and read, in its history, whether
    CloudWatch could publish to its topic (and back to OK afterwards)."""
    cloudwatch = run.client("cloudwatch", EDGE_REGION)
    name = run.env.context.name(CHECKED_ALARM)
    topic = run.outputs["edge"]["AlarmTopicArn"]
    since = time.time()
    cloudwatch.set_alarm_state(AlarmName=name, StateValue="ALARM", StateReason="make verify: alarm delivery")
    run.cleanup.append(
        lambda: cloudwatch.set_alarm_state(AlarmName=name, StateValue="OK", StateReason="make verify: done")
    )
    summary = _wait(run, lambda: _action_summary(cloudwatch, name, topic, since))
    if summary is None:
        run.check(
            "alarm delivery",
            False,
            f"no action of {name} recorded in {run.wait:.0f} s: see its history in the CloudWatch console",
            warning=True,
        )
    else:
        run.check("alarm delivery", summary.startswith("Successfully"), f"{name} -> {topic}: {summary}")


def _action_summary(cloudwatch: Any, alarm: str, topic: str, since: float) -> str | None:
    items = cloudwatch.describe_alarm_history(AlarmName=alarm, HistoryItemType="Action")["AlarmHistoryItems"]
    for item in items:
        if topic in item["HistorySummary"] and item["Timestamp"].timestamp() >= since - 1:
            return str(item["HistorySummary"])
    return None


def _wait(run: _Run, probe: Callable[[], Any]) -> Any:
    deadline = time.monotonic() + run.wait
    while True:
        found = probe()
        if found or time.monotonic() >= deadline:
            return found
        time.sleep(2)


def _log_events(logs: Any, group: str, since_ms: int) -> Callable[[], list[Any]]:
    def probe() -> list[Any]:
        return list(logs.filter_log_events(logGroupName=group, startTime=since_ms, limit=1)["events"])

    return probe


def _logs(run: _Run) -> None:
    since_ms = int((run.started - 5) * 1000)
    api_logs = run.outputs["api"]["AccessLogGroupName"]
    waf_logs = run.outputs["edge"]["WafLogGroupName"]
    for name, group, region, what in (
        ("stage access logs", api_logs, run.env.region, "the stage's access log settings"),
        ("web ACL logs", waf_logs, EDGE_REGION, "the web ACL's logging configuration"),
    ):
        found = _wait(run, _log_events(run.client("logs", region), group, since_ms))
        run.check(
            name,
            bool(found),
            f"{'events' if found else 'nothing yet'} in {group} ({region}) since the checks began"
            + ("" if found else f": check {what}"),
            warning=True,
        )
    bucket = run.outputs["storage"]["LogsBucketName"]
    s3 = run.client("s3")
    newest = [
        o
        for o in s3.list_objects_v2(Bucket=bucket, MaxKeys=1000).get("Contents", [])
        if o["LastModified"].timestamp() >= run.started - 5
    ]
    run.check(
        "CloudFront access logs",
        bool(newest),
        f"{len(newest)} new object(s) in s3://{bucket}"
        + (
            ""
            if newest
            else " (CloudFront delivers standard logs within about an hour: run `make verify` again later; then "
            "check the distribution's logging and the logs bucket's ACLs and key policy)"
        ),
        warning=True,
    )

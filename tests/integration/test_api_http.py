"""The launched API over HTTP, as its clients call it: through the local front door
(API Gateway's steps, from the definitions deployed on the emulator) to the deployed
function packages, with tokens from the environment's user pool."""

from __future__ import annotations

import base64
import json
import os
import shlex
import subprocess
import sys
import time
import uuid
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from blueprints.contract import ROUTES
from blueprints.reports.openapi import backoffice_scheme
from blueprints.stacks.functions import FUNCTIONS
from local_aws.client import callers
from local_aws.client.callers import Environment, claims
from local_aws.client.control import Emulator
from local_aws.emulator.dynamodb_transactions import WINDOW_TAG
from scripts.bench_load import books, make_plan
from scripts.load_scenario import Reply, threads
from scripts.openapi import DOCUMENT
from tests.conftest import measured
from tests.integration.conftest import account_client

PAYMENT = {"amount": "12.50", "currency": "EUR"}


def send(*args, **kwargs):
    """dev's stage is throttled (10/s): these tests wait out a 429 as a client would."""
    return callers.send(*args, **{"patience": 10.0, **kwargs})


@pytest.fixture(scope="module")
def dev(launched, emulator: Emulator) -> Environment:
    return Environment("dev", emulator)


@pytest.fixture(scope="module")
def tokens(dev: Environment) -> dict[str, str]:
    return {
        "alice": dev.customer_token("alice"),
        "bob": dev.customer_token("bob"),
        "reader": dev.client_token("reporting"),
    }


def _key() -> dict[str, str]:
    return {"Idempotency-Key": f"it-{uuid.uuid4()}"}


def _payments_count(dev: Environment) -> int:
    table = dev.outputs("data")["TransactionsTableName"]
    client = account_client(dev.emulator, dev.name, "dynamodb", dev.region)
    return int(client.scan(TableName=table, Select="COUNT")["Count"])


def _is_gateway_refusal(reply, status: int, code: str) -> bool:
    """Answered by API Gateway itself (a gateway response), not by a function."""
    return reply.status == status and reply.json["error"]["code"] == code and "x-amzn-ErrorType" in reply.headers


def test_a_payment_its_retry_reading_and_listing_in_pages(dev, tokens):
    alice = tokens["alice"]
    me = claims(alice)["sub"]
    made = []
    for amount in ("1.00", "2.00", "3.00"):
        key = _key()
        created = send("POST", f"{dev.url}/payments", {**PAYMENT, "amount": amount}, token=alice, headers=key)
        assert created.status == 201, created.text
        assert created.json["customerId"] == me
        retry = send("POST", f"{dev.url}/payments", {**PAYMENT, "amount": amount}, token=alice, headers=key)
        assert (retry.status, retry.json) == (201, created.json)
        made.append(created.json)
    read = send("GET", f"{dev.url}/payments/{made[0]['transactionId']}", token=alice)
    assert (read.status, read.json) == (200, made[0])
    seen, cursor = [], None
    while True:
        query = "limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = send("GET", f"{dev.url}/customers/{me}/payments?{query}", token=alice)
        assert page.status == 200 and len(page.json["items"]) <= 2
        seen += page.json["items"]
        cursor = page.json["nextCursor"]
        if cursor is None:
            break
    assert [p["transactionId"] for p in seen][:3] == [p["transactionId"] for p in reversed(made)]


def test_a_session_is_created_read_and_ended_by_its_owner_only(dev, tokens):
    created = send("POST", f"{dev.url}/sessions", {}, token=tokens["alice"])
    assert created.status == 201 and created.json["customerId"] == claims(tokens["alice"])["sub"]
    url = f"{dev.url}/sessions/{created.json['sessionId']}"
    assert send("GET", url, token=tokens["alice"]).status == 200
    assert send("GET", url, token=tokens["bob"]).status == 404
    assert send("DELETE", url, token=tokens["bob"]).status == 204
    assert send("GET", url, token=tokens["alice"]).status == 200  # bob's delete changed nothing
    assert send("DELETE", url, token=tokens["alice"]).status == 204
    assert send("GET", url, token=tokens["alice"]).status == 404


def test_customers_never_see_or_change_each_others_payments(dev, tokens):
    alice, bob = tokens["alice"], tokens["bob"]
    key = _key()
    payment = send("POST", f"{dev.url}/payments", PAYMENT, token=alice, headers=key).json
    other = send("GET", f"{dev.url}/payments/{payment['transactionId']}", token=bob)
    unknown = send("GET", f"{dev.url}/payments/{uuid.uuid4()}", token=bob)
    assert other.status == unknown.status == 404 and other.json == unknown.json
    listing = send("GET", f"{dev.url}/customers/{payment['customerId']}/payments", token=bob)
    assert listing.status == 403 and payment["transactionId"] not in listing.text
    as_alice = send("POST", f"{dev.url}/payments", {**PAYMENT, "customerId": payment["customerId"]}, token=bob,
                    headers=_key())  # fmt: skip
    assert as_alice.status == 403
    # bob reusing alice's idempotency key gets his own payment, not hers
    bobs = send("POST", f"{dev.url}/payments", PAYMENT, token=bob, headers=key)
    assert bobs.status == 201 and bobs.json["transactionId"] != payment["transactionId"]
    assert bobs.json["customerId"] == claims(bob)["sub"]


def test_the_back_office_reads_any_customer_and_writes_nothing(dev, tokens):
    payment = send("POST", f"{dev.url}/payments", PAYMENT, token=tokens["alice"], headers=_key()).json
    reader = tokens["reader"]
    assert "username" not in claims(reader)
    assert send("GET", f"{dev.url}/payments/{payment['transactionId']}", token=reader).json == payment
    listing = send("GET", f"{dev.url}/customers/{payment['customerId']}/payments", token=reader)
    assert listing.status == 200 and payment in listing.json["items"]
    before = _payments_count(dev)
    for method, path, body in (("POST", "/payments", PAYMENT), ("POST", "/sessions", {})):
        refused = send(method, f"{dev.url}{path}", body, token=reader, headers=_key())
        assert _is_gateway_refusal(refused, 401, "Unauthorized"), refused.text
    assert _payments_count(dev) == before


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer not-a-token", "Basic YWxpY2U6cGFzc3dvcmQ=", "tampered", "other pool"],
)
def test_requests_without_a_valid_token_are_refused_by_the_gateway(dev, tokens, launched, emulator, authorization):
    if authorization == "tampered":
        header, payload, signature = tokens["alice"].split(".")
        forged = json.loads(_b64decode(payload)) | {"sub": "someone-else"}
        authorization = f"Bearer {header}.{_b64encode(json.dumps(forged))}.{signature}"
    elif authorization == "other pool":  # a real token, from prod's user pool
        authorization = f"Bearer {Environment('prod', emulator).customer_token('alice')}"
    before = _payments_count(dev)
    headers = {**_key(), **({"Authorization": authorization} if authorization else {})}
    for method, path, body in (("POST", "/payments", PAYMENT), ("GET", f"/payments/{uuid.uuid4()}", None)):
        refused = send(method, f"{dev.url}{path}", body, headers=headers)
        assert _is_gateway_refusal(refused, 401, "Unauthorized"), refused.text
        assert refused.headers.get("WWW-Authenticate") == "Bearer"
    assert _payments_count(dev) == before  # no function ran


def test_requests_the_models_refuse_never_reach_a_function(dev, tokens):
    alice = tokens["alice"]
    before = _payments_count(dev)
    cases = [
        (PAYMENT, {}, "parameters"),  # no Idempotency-Key
        ({**PAYMENT, "extra": 1}, _key(), "body"),
        ({**PAYMENT, "amount": 12.5}, _key(), "body"),
        ({"currency": "EUR"}, _key(), "body"),
    ]
    for body, headers, field in cases:
        refused = send("POST", f"{dev.url}/payments", body, token=alice, headers=headers)
        assert refused.status == 400 and "x-amzn-ErrorType" in refused.headers, refused.text
        assert refused.json["error"]["field"] == field
    malformed = send("POST", f"{dev.url}/payments", token=alice, headers=_key(), raw=b"{not json")
    assert malformed.status == 400 and malformed.json["error"]["field"] == "body"
    assert _payments_count(dev) == before


def test_unknown_routes_get_api_gateways_own_answer(dev, tokens):
    for method, path in (("GET", "/nothing"), ("PUT", "/payments"), ("GET", "/"), ("TRACE", "/payments")):
        reply = send(method, f"{dev.url}{path}", token=tokens["alice"])
        assert _is_gateway_refusal(reply, 403, "MISSING_AUTHENTICATION_TOKEN"), (method, path, reply.text)


def test_the_deployed_api_matches_the_openapi_document(dev):
    document = json.loads(DOCUMENT.read_text())
    client = account_client(dev.emulator, dev.name, "apigateway", dev.region)
    api_id = dev.outputs("api")["RestApiId"]
    deployed = {}
    for resource in client.get_resources(restApiId=api_id, embed=["methods"])["items"]:
        for method in resource.get("resourceMethods", {}):
            deployed[(method, resource["path"])] = client.get_method(
                restApiId=api_id, resourceId=resource["id"], httpMethod=method
            )
    documented = {(m.upper(), p): op for p, item in document["paths"].items() for m, op in item.items()}
    assert set(deployed) == set(documented) == {(r.method, r.path) for r in ROUTES}
    models = {m["name"]: json.loads(m["schema"]) for m in client.get_models(restApiId=api_id)["items"]}
    for key, operation in documented.items():
        method = deployed[key]
        assert method["authorizationType"] == "COGNITO_USER_POOLS"
        scopes = {s for requirement in operation["security"] for s in requirement.get(backoffice_scheme(dev.name), [])}
        assert set(method["authorizationScopes"]) - {"aws.cognito.signin.user.admin"} == scopes
        where = {"path": "path", "query": "querystring", "header": "header"}
        assert method.get("requestParameters", {}) == {
            f"method.request.{where[p['in']]}.{p['name']}": p["required"] for p in operation["parameters"]
        }
        if "requestBody" in operation:
            name = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"].rpartition("/")[2]
            assert method["requestModels"] == {"application/json": name}
            documented_schema = {k: v for k, v in models[name].items() if k != "$schema"}
            assert documented_schema == document["components"]["schemas"][name]


def test_the_stage_throttles_with_429_from_the_gateway(dev, tokens):
    """dev's stage allows 10 requests a second with bursts of 20: 60 at once cannot all pass.
    At most 5 at a time, dev's reserved concurrency of the function: more would also meet
    Lambda's throttling, which API Gateway answers 500."""
    url = f"{dev.url}/payments/{uuid.uuid4()}"
    with ThreadPoolExecutor(max_workers=5) as pool:
        replies = list(pool.map(lambda _: send("GET", url, token=tokens["alice"], patience=0), range(60)))
    statuses = {r.status for r in replies}
    assert statuses <= {404, 429} and 429 in statuses and 404 in statuses
    throttled = next(r for r in replies if r.status == 429)
    assert _is_gateway_refusal(throttled, 429, "THROTTLED")
    assert throttled.headers.get("Retry-After") == "1"  # the gateway response's header
    time.sleep(2.5)  # let the bucket refill for whatever runs next


def test_raced_duplicates_through_the_front_door_get_one_payment_and_no_5xx(dev, launched, emulator_state):
    """As many identical payments at once as the function runs at once (its reserved
    concurrency), while each transaction on the idempotency table stays in flight for a while
    (the emulator's window, opened by the table's tag for this test only): DynamoDB cancels
    those that meet the first in flight with TransactionConflict, and they retry until they
    find its record. Every one is answered with the one payment."""
    env = launched["dev"]
    processor = next(spec for spec in FUNCTIONS if spec.name == "payment-processor")
    function = env.output("functions", f"{processor.title}FunctionName")
    racers = env.client("lambda").get_function_concurrency(FunctionName=function)["ReservedConcurrentExecutions"]
    table, dynamodb = env.output("data", "IdempotencyTableArn"), env.client("dynamodb")
    token, log = dev.customer_token("racer"), emulator_state / "server.log"

    def at_once(keys: list[dict[str, str]]) -> list[callers.Reply]:
        with ThreadPoolExecutor(max_workers=len(keys)) as pool:
            return list(pool.map(lambda k: send("POST", f"{dev.url}/payments", PAYMENT, token=token, headers=k), keys))

    # A window shorter than the clients' read timeout (a tenth of dev's 10 s function timeout).
    dynamodb.tag_resource(ResourceArn=table, Tags=[{"Key": WINDOW_TAG, "Value": "800"}])
    try:
        # Distinct payments first, each holding its worker for the window: every racer then finds a warm one.
        assert {r.status for r in at_once([_key() for _ in range(racers)])} == {201}
        conflicts, before, key = log.read_text().count("TransactionConflict"), _payments_count(dev), _key()
        replies = at_once([key] * racers)
    finally:
        dynamodb.untag_resource(ResourceArn=table, TagKeys=[WINDOW_TAG])
    assert [r.status for r in replies] == [201] * racers, [r.text for r in replies]
    assert len({r.json["transactionId"] for r in replies}) == 1
    assert _payments_count(dev) == before + 1
    assert log.read_text().count("TransactionConflict") > conflicts, "the requests never overlapped"


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _b64encode(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).rstrip(b"=").decode()


def test_the_documented_commands_give_a_url_and_tokens_that_work(dev, emulator_state):
    """`python -m local_aws.client.control url|token`, exactly as the README shows them."""

    # A user's shell: no AWS variables at all (the commands must bring the emulator's own).
    shell = measured({k: v for k, v in os.environ.items() if not k.startswith("AWS_")})
    shell["EMULATOR_STATE_DIR"] = str(emulator_state)

    def control(*args: str) -> str:
        run = subprocess.run(
            [sys.executable, "-m", "local_aws.client.control", *args],
            env=shell,
            capture_output=True, text=True, check=False, timeout=120,
        )  # fmt: skip
        assert run.returncode == 0, run.stderr
        return run.stdout.strip()

    url = control("url", "--env", "dev")
    assert url == dev.url
    customer = control("token", "--env", "dev", "--customer", "carol")
    client = control("token", "--env", "dev", "--client", "audit")
    assert claims(customer)["username"] == "carol" and claims(client)["scope"] == "payments/read"
    paid = send("POST", f"{url}/payments", PAYMENT, token=customer, headers=_key())
    assert paid.status == 201
    # the customer's id, as the README's shell line takes it: `CAROL_ID=$(... --print-sub)`
    pasted = subprocess.run(
        ["bash", "-c", f'CAROL_ID=$({shlex.quote(sys.executable)} -m local_aws.client.control token --env dev'
         ' --customer carol --print-sub) && echo "$CAROL_ID"'],
        env=shell,
        capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip
    assert pasted.returncode == 0, pasted.stderr
    carol_id = pasted.stdout.strip()
    assert carol_id == claims(customer)["sub"] and "." not in carol_id
    listing = send("GET", f"{url}/customers/{carol_id}/payments", token=client)
    assert listing.status == 200 and listing.json["items"] == [paid.json]
    # the same customer again: a new token for the same account
    assert claims(control("token", "--env", "dev", "--customer", "carol"))["sub"] == carol_id
    for args, said in ((), "--customer"), (("--client", "audit", "--print-sub"), "--print-sub needs --customer"):
        refused = subprocess.run(
            [sys.executable, "-m", "local_aws.client.control", "token", "--env", "dev", *args],
            env=shell,
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        assert refused.returncode == 2 and said in refused.stderr


def test_a_short_load_through_the_front_door_keeps_the_books_and_answers_every_request(launched, emulator):
    """`make bench-load`'s scenario, briefly, with threads: customers paying, every payment
    retried with its key and one in four raced, reads and back-office lists, on prod (whose
    functions run 100 at once). No 5xx, no refused or reset connection, and the books balance:
    each key answered with its one transaction, recorded once."""
    prod = Environment("prod", emulator)
    plan = make_plan(prod, customers=4)

    def http(method: str, path: str, body: Any, token: str, headers: Mapping[str, str], name: str) -> Reply:
        reply = send(method, f"{plan.url}{path}", body, token=token, headers=dict(headers))
        return Reply(reply.status, reply.json)

    ledger, errors = threads(plan, http, clients=8, journeys=40)
    assert errors == []
    assert ledger.broken == [] and not [s for s in ledger.statuses if s >= 500], ledger.statuses
    assert ledger.journeys == 40 and len(ledger.answers) == 40
    assert books(prod, plan, ledger) == []

"""The example program's functions, through the generated client, against launched dev on
the local front door: every operation of the contract is called, a customer's payments are
paged to the end, a payment retried with its key is recorded once, refusals are typed."""

from __future__ import annotations

import re

import pytest

from blueprints.contract import ROUTES
from examples.payments_example import ApiError, client_for, customer_id, pay, payments_of, read_payment, tour
from local_aws.client.callers import Environment


@pytest.fixture(scope="module")
def dev(launched, emulator) -> Environment:
    return Environment("dev", emulator)


def _route_of(method: str, path: str) -> str:
    for route in ROUTES:
        pattern = re.sub(r"\{[^/]+\}", "[^/]+", route.path)
        if method == route.method and re.fullmatch(rf".*{pattern}", path):
            return route.operation_id
    raise AssertionError(f"no route {method} {path}")


def test_the_example_calls_every_operation(dev):
    alice = dev.customer_token("client-alice")
    sent: list[str] = []

    def record(request):
        sent.append(_route_of(request.method, request.url.path))

    customer = client_for(dev.url, alice, event_hooks={"request": [record]})
    back_office = client_for(dev.url, dev.client_token("client-reporting"), event_hooks={"request": [record]})
    said = tour(customer, customer_id(alice), back_office)
    assert set(sent) == {r.operation_id for r in ROUTES}
    assert any(line.endswith("(its retry: True)") for line in said), said
    assert "back office may not pay: 401 Unauthorized" in said
    assert said[-1] == "ended: reading it again answers 404 NotFound"


def test_paging_to_the_end_and_a_keyed_retry_recording_once(dev):
    token = dev.customer_token("client-pager")
    client, me = client_for(dev.url, token), customer_id(token)
    made = [pay(client, amount, "EUR", key=f"pager-{amount.replace('.', '-')}") for amount in ("1.00", "2.00", "3.00")]
    assert pay(client, "1.00", "EUR", key="pager-1-00") == made[0]  # the same key: the same payment
    listed = list(payments_of(client, me, page_size=2))
    assert [p.transaction_id for p in listed] == [p.transaction_id for p in reversed(made)]
    with pytest.raises(ApiError) as refused:
        read_payment(client_for(dev.url, dev.customer_token("client-other")), made[0].transaction_id)
    assert (refused.value.status, refused.value.code) == (404, "NotFound")

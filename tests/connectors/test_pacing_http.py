"""Every desk request acquires from its account's rate budget (connectors/http.py),
and connect() gives each desk the budget its Desk, its type and its shard say."""

from __future__ import annotations

from datetime import datetime
from datetime import timezone

import pytest
import requests
import responses

from escalada.connectors import connect
from escalada.connectors import desk_budget
from escalada.connectors import desk_wiring
from escalada.connectors.base import Shard
from escalada.connectors.base import Wiring
from escalada.connectors.http import RetryPolicy
from escalada.connectors.http import mount_resilience
from escalada.connectors.registry import desk_kind
from escalada.errors import DeskUnavailable
from escalada.errors import EscaladaError
from escalada.pacing import Rate
from escalada.pacing import RateBudget
from escalada.pacing import parse_rate
from escalada.policy.model import Desk
from escalada.policy.model import SecretRef
from escalada.policy.model import Where
from tests.fakes.base import FakeServer
from tests.fakes.base import reply
from tests.test_pacing import SimClock

URL = "https://desk.example.com"


@pytest.fixture
def fake():
    with responses.RequestsMock() as mock:
        server = FakeServer(mock, URL)
        server.route("GET", "/items", lambda request, match: reply(200, {"ok": True}), name="items")
        yield server


def paced_session(pace: RateBudget, clock: SimClock) -> requests.Session:
    session = requests.Session()
    mount_resilience(session, "test-desk", sleep=clock.sleep, jitter=lambda: 1.0, budget=pace)
    return session


def test_every_request_waits_for_the_budget(fake) -> None:
    clock = SimClock()
    pace = RateBudget(parse_rate("60/min"), clock=clock, sleep=clock.sleep)
    session = paced_session(pace, clock)
    start = clock()
    for _ in range(30):
        assert session.get(URL + "/items").status_code == 200
    assert clock() - start == pytest.approx(pace.seconds_for(30))
    assert clock() - start > 20  # 30 requests at about one a second, a burst of 3 at once


def test_a_retry_after_is_waited_out_once_not_again_by_the_budget(fake) -> None:
    clock = SimClock()
    pace = RateBudget(parse_rate("400/min"), clock=clock, sleep=clock.sleep)
    fake.inject("429", retry_after=7)
    assert paced_session(pace, clock).get(URL + "/items").status_code == 200
    assert clock.slept == [7.0]


def test_a_429_holds_every_session_sharing_the_budget(fake) -> None:
    clock = SimClock()
    pace = RateBudget(parse_rate("400/min"), clock=clock, sleep=clock.sleep)
    one = requests.Session()
    mount_resilience(
        one, "test-desk", sleep=clock.sleep, budget=pace, policy=RetryPolicy(attempts=1)
    )
    two = paced_session(pace, clock)
    fake.inject("429", retry_after=7)
    with pytest.raises(DeskUnavailable):
        one.get(URL + "/items")  # no retry of its own: only the hold is left behind
    assert clock.slept == []
    assert two.get(URL + "/items").status_code == 200
    assert clock.slept == [pytest.approx(7.0)]  # the other session waited for it


def test_the_desks_rate_headers_lower_the_budget(fake) -> None:
    clock = SimClock()
    fake.route(
        "GET",
        "/limited",
        lambda request, match: reply(
            200, {}, {"X-Rate-Limit": "200", "X-Rate-Limit-Remaining": "9"}
        ),
        name="limited",
    )
    pace = RateBudget(parse_rate("400/min"), clock=clock, sleep=clock.sleep)
    session = paced_session(pace, clock)
    session.get(URL + "/items")
    assert pace.rate == Rate(400, 60.0)  # no headers, no change
    session.get(URL + "/limited")
    assert pace.rate == Rate(200, 60.0)


# --- connect() ------------------------------------------------------------------------

ENVIRON = {"E": "bot@acme.test", "T": "token"}
AUTH = {"email": SecretRef("env", "E"), "token": SecretRef("env", "T")}


def wiring() -> Wiring:
    return Wiring(environ=ENVIRON, sleep=lambda s: None, clock=lambda: datetime.now(timezone.utc))


def test_a_zendesk_desk_is_paced_to_its_documented_400_a_minute() -> None:
    desk = Desk("zd", "zendesk", url="https://acme.zendesk.com", auth=AUTH)
    connector = connect(desk, wiring=wiring())
    budget = connector.adapter.budget  # type: ignore[attr-defined]
    assert budget is not None and budget.rate == Rate(400, 60.0)


def test_the_desks_rate_limit_and_the_shard_set_the_budget() -> None:
    desk = Desk("zd", "zendesk", url="https://acme.zendesk.com", auth=AUTH, rate_limit="700/min")
    wired = wiring()
    budget = desk_budget(desk, "400/min", wired, Shard(1, 4))
    assert budget.rate == Rate(175, 60.0) and budget.share == 4
    # one account, one clock: the same budget, however many connectors (cycles) use it
    assert desk_budget(desk, "400/min", wired, Shard(1, 4)) is budget
    connector = connect(desk, wiring=wired, shard=Shard(1, 4))
    assert connector.adapter.budget is budget  # type: ignore[attr-defined]


def test_a_desk_type_without_a_documented_limit_is_paced_only_by_its_answers() -> None:
    desk = Desk("sn", "servicenow", url="https://acme.service-now.com")
    budget = desk_budget(desk, None, wiring())
    assert budget.rate is None and budget.acquire() == 0.0


def test_the_sandbox_is_local_and_unpaced(tmp_path) -> None:
    desk = Desk("demo", "sandbox", options={"path": str(tmp_path / "s.db")})
    assert desk_wiring(desk, desk_kind("sandbox"), Wiring(), Shard(0, 2)).budget is None


def test_a_bad_rate_limit_is_one_line_with_where() -> None:
    desk = Desk(
        "zd",
        "zendesk",
        url="https://acme.zendesk.com",
        rate_limit="fast",
        where=Where("policy/desks.yaml", 3, 1),
    )
    with pytest.raises(EscaladaError) as caught:
        desk_budget(desk, "400/min", wiring())
    assert str(caught.value).startswith("policy/desks.yaml:3:1: desk 'zd': spec.rate_limit 'fast'")

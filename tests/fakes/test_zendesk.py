"""The Zendesk fake behaves as Zendesk documents and refuses what Zendesk
refuses (a fake that accepts any request proves nothing). Each test names the
reference behaviour it holds the fake to."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from datetime import timedelta
from datetime import timezone

import pytest
import requests
import responses

from tests.fakes.zendesk import ZendeskFake

URL = "https://acme.zendesk.com/api/v2"
AUTH = ("escalada@acme.test/token", "zd-token-123")
OPENED = datetime(2026, 11, 23, 8, 0, tzinfo=timezone.utc)


@pytest.fixture
def fake() -> Iterator[ZendeskFake]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield ZendeskFake(mock)


def get(path: str, **params: str) -> requests.Response:
    return requests.get(f"{URL}/{path}", params=params, auth=AUTH, timeout=5)


def test_a_wrong_token_is_401_with_zendesks_body(fake: ZendeskFake) -> None:
    response = requests.get(f"{URL}/users/me.json", auth=(AUTH[0], "wrong"), timeout=5)
    assert response.status_code == 401
    assert response.json() == {"error": "Couldn't authenticate you"}


@pytest.mark.off_contract  # page[size] 101 on purpose
def test_comments_are_ascending_unless_sort_under_cursor_pagination(fake: ZendeskFake) -> None:
    """List Comments: ascending by default; cursor pagination orders by `sort`
    (created_at | -created_at) and ignores sort_order; offset pagination takes sort_order."""
    key = fake.add_ticket("VPN down", created=OPENED)
    fake.add_comment(key, "second")
    fake.add_comment(key, "third")

    def bodies(**params: str) -> list[str]:
        return [c["body"] for c in get(f"tickets/{key}/comments.json", **params).json()["comments"]]

    assert bodies(**{"page[size]": "10"}) == ["VPN down", "second", "third"]
    assert bodies(**{"page[size]": "10", "sort_order": "desc"}) == ["VPN down", "second", "third"]
    assert bodies(**{"page[size]": "10", "sort": "-created_at"}) == ["third", "second", "VPN down"]
    assert bodies(sort_order="desc") == ["third", "second", "VPN down"]
    offset = get(f"tickets/{key}/comments.json", per_page="2").json()
    assert offset["count"] == 3 and "page=2" in offset["next_page"]
    assert get(f"tickets/{key}/comments.json", **{"page[size]": "101"}).status_code == 400


@pytest.mark.off_contract  # page[size] 1001 on purpose
def test_the_export_pages_by_cursor_and_caps_the_page_at_1000(fake: ZendeskFake) -> None:
    """Export Search Results: filter[type] required, page[size] up to 1000,
    meta.has_more / links.next until the last page."""
    for i in range(5):
        fake.add_ticket(f"T{i}", created=OPENED + timedelta(minutes=i))
    params = {"query": "status<solved", "filter[type]": "ticket", "page[size]": "2"}
    page = get("search/export.json", **params).json()
    seen = [r["id"] for r in page["results"]]
    while page["meta"]["has_more"]:
        page = requests.get(page["links"]["next"], auth=AUTH, timeout=5).json()
        seen += [r["id"] for r in page["results"]]
    assert len(seen) == len(set(seen)) == 5
    assert all(r["result_type"] == "ticket" for r in page["results"])
    too_big = get("search/export.json", **{**params, "page[size]": "1001"})
    assert too_big.status_code == 400


@pytest.mark.off_contract  # 101 ids on purpose
def test_show_many_takes_100_ids_at_most(fake: ZendeskFake) -> None:
    """Show Multiple Tickets: up to 100 ids (TooManyValues past that)."""
    ids = ",".join(str(i) for i in range(1, 102))
    response = get("tickets/show_many.json", ids=ids)
    assert response.status_code == 400 and response.json()["error"] == "TooManyValues"


def test_search_json_stops_at_1000_results(fake: ZendeskFake) -> None:
    """Search: 1,000 results at most; page 11 of 100 is a 422 `invalid`."""
    response = get("search.json", query="status<solved", page="11", per_page="100")
    assert response.status_code == 422 and response.json()["error"] == "invalid"


def test_a_stale_safe_update_is_409(fake: ZendeskFake) -> None:
    """Protecting against ticket update collisions: safe_update + an old updated_stamp."""
    key = fake.add_ticket("VPN down", created=OPENED)
    stamp = fake.tickets[key]["updated_at"]
    fake.edit(key, priority="high")
    body = {"ticket": {"priority": "urgent", "safe_update": True, "updated_stamp": stamp}}
    response = requests.put(f"{URL}/tickets/{key}.json", json=body, auth=AUTH, timeout=5)
    assert response.status_code == 409 and fake.tickets[key]["priority"] == "high"


def test_reply_time_in_seconds_only_on_messaging_tickets(fake: ZendeskFake) -> None:
    """Ticket Metrics: reply_time_in_seconds is "only available for Messaging tickets"."""
    web = fake.add_ticket("Web", created=OPENED, replied=OPENED + timedelta(minutes=3))
    chat = fake.add_ticket(
        "Chat", created=OPENED, replied=OPENED + timedelta(seconds=95), channel="native_messaging"
    )
    web_metric = get(f"tickets/{web}/metrics.json").json()["ticket_metric"]
    chat_metric = get(f"tickets/{chat}/metrics.json").json()["ticket_metric"]
    assert "reply_time_in_seconds" not in web_metric
    assert web_metric["reply_time_in_minutes"]["calendar"] == 3
    assert chat_metric["reply_time_in_seconds"] == {"calendar": 95}


def test_type_selects_the_object_and_ticket_type_the_ticket(fake: ZendeskFake) -> None:
    """Zendesk search: `type:` is the object type, `ticket_type:` the ticket's type."""
    incident = fake.add_ticket("Down", created=OPENED, type="incident")
    fake.add_ticket("How do I", created=OPENED, type="question")

    def ids(text: str) -> list[int]:
        found = get("search/export.json", query=text, **{"filter[type]": "ticket"})
        assert found.status_code == 200
        return [r["id"] for r in found.json()["results"]]

    assert ids("ticket_type:incident") == [incident]
    assert ids("type:incident") == []
    assert len(ids("type:ticket")) == 2


def test_audits_record_creation_edits_and_updates_oldest_first(fake: ZendeskFake) -> None:
    """Ticket Audits, "List Audits for a Ticket": the first audit's Create events carry
    the initial fields; later changes are Change events with value and previous_value."""
    ticket = fake.add_ticket("Printer", created=OPENED)
    fake.now = OPENED + timedelta(hours=1)
    fake.edit(ticket, status="pending")
    put = requests.put(
        f"{URL}/tickets/{ticket}.json",
        json={"ticket": {"status": "open", "comment": {"body": "back", "public": False}}},
        auth=AUTH,
        timeout=5,
    )
    assert put.status_code == 200 and put.json()["audit"]["events"][0]["type"] == "Change"
    audits = get(f"tickets/{ticket}/audits.json").json()["audits"]
    status = [
        (a["created_at"], e["type"], e.get("previous_value"), e["value"])
        for a in audits
        for e in a["events"]
        if e.get("field_name") == "status"
    ]
    assert status == [
        ("2026-11-23T08:00:00Z", "Create", None, "open"),
        ("2026-11-23T09:00:01Z", "Change", "open", "pending"),
        ("2026-11-23T09:00:02Z", "Change", "pending", "open"),
    ]


@pytest.mark.off_contract  # page[size] 101 on purpose
def test_audits_page_by_cursor_up_to_100(fake: ZendeskFake) -> None:
    """ "Returns a maximum of 100 records per page"; cursor pages follow links.next."""
    ticket = fake.add_ticket("Busy", created=OPENED)
    for i in range(120):
        fake.edit(ticket, priority="high" if i % 2 == 0 else "normal")
    assert get(f"tickets/{ticket}/audits.json", **{"page[size]": "101"}).status_code == 400
    page = get(f"tickets/{ticket}/audits.json", **{"page[size]": "100"}).json()
    assert len(page["audits"]) == 100 and page["meta"]["has_more"]
    rest = requests.get(page["links"]["next"], auth=AUTH, timeout=5).json()
    assert len(rest["audits"]) == 21 and not rest["meta"]["has_more"]


def test_search_reads_solved_and_updated_dates(fake: ZendeskFake) -> None:
    """Search reference, "Searching by date and time": a date is a whole day;
    `solved` is when the ticket was solved, which only its audits know."""
    early = fake.add_ticket("early", created=OPENED - timedelta(days=3))
    late = fake.add_ticket("late", created=OPENED - timedelta(days=3))
    fake.now = OPENED - timedelta(days=2)
    fake.edit(early, status="solved")
    fake.now = OPENED
    fake.edit(late, status="solved")

    def ids(text: str) -> list[int]:
        found = get("search/export.json", query=text, **{"filter[type]": "ticket"}).json()
        return [r["id"] for r in found["results"]]

    assert ids("status>=solved solved>=2026-11-23") == [late]
    assert ids("status>=solved solved>=2026-11-21") == [early, late]
    assert ids("solved:2026-11-21") == [early]
    assert ids("solved>2026-11-21") == [late]
    assert ids("updated<2026-11-22") == [early]
    bad = get("search/export.json", query="solved>=yesterday", **{"filter[type]": "ticket"})
    assert bad.status_code == 400

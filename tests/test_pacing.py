"""escalada.pacing: the rate budget a desk account's requests share, on a simulated
clock (the sleep advances it), so no test waits."""

from __future__ import annotations

import threading
from datetime import datetime
from datetime import timezone

import pytest

from escalada.pacing import Rate
from escalada.pacing import RateBudget
from escalada.pacing import RateError
from escalada.pacing import in_flight
from escalada.pacing import parse_rate


class SimClock:
    """A clock that only moves when someone sleeps on it (thread-safe)."""

    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self.now = start
        self.slept: list[float] = []
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.slept.append(seconds)
            self.now += seconds


def budget(text: str, clock: SimClock, **options: object) -> RateBudget:
    return RateBudget(parse_rate(text), clock=clock, sleep=clock.sleep, **options)  # type: ignore[arg-type]


# --- parse_rate ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "requests", "per"),
    [
        ("400/min", 400, 60.0),
        ("10/s", 10, 1.0),
        ("5000/h", 5000, 3600.0),
        (" 700 / min ", 700, 60.0),
        ("2500/minute", 2500, 60.0),
        ("3/sec", 3, 1.0),
        ("100/hour", 100, 3600.0),
    ],
)
def test_parse_rate_reads_requests_per_second_minute_or_hour(text, requests, per) -> None:
    rate = parse_rate(text)
    assert (rate.requests, rate.per) == (requests, per)
    assert rate.per_second == pytest.approx(requests / per)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "400",
        "400/day",
        "0/min",
        "-5/min",
        "1.5/s",
        "４００/min",
        "²/s",
        "400/",
        "/min",
        "a/min",
    ],
)
def test_parse_rate_refuses_anything_else_with_one_clear_line(text) -> None:
    with pytest.raises(RateError) as raised:
        parse_rate(text)
    message = str(raised.value)
    assert "\n" not in message
    assert repr(text) in message and "e.g. 400/min" in message


def test_a_rate_prints_as_written_and_splits_across_shards() -> None:
    rate = parse_rate("400/min")
    assert str(rate) == "400/min"
    assert rate.share(4) == Rate(100, 60.0)
    assert str(rate.share(3)) == "133.33/min"


# --- the bucket ---------------------------------------------------------------------


def test_no_window_of_the_rate_ever_holds_more_requests_than_the_rate_allows() -> None:
    clock = SimClock()
    pace = budget("400/min", clock)
    stamps = []
    for _ in range(1200):
        pace.acquire()
        stamps.append(clock())
    # a sliding minute anywhere in the run holds at most 400 requests
    for i, start in enumerate(stamps):
        inside = sum(1 for t in stamps[i:] if t < start + 60.0)
        assert inside <= 400
    # and the pace is close to the rate: 1200 requests in a little over two minutes
    assert 120.0 <= stamps[-1] - stamps[0] <= 60.0 * 1200 / 400 * 1.06


def test_a_fresh_budget_lets_a_small_burst_through_without_waiting() -> None:
    clock = SimClock()
    pace = budget("400/min", clock)
    for _ in range(pace.burst):
        assert pace.acquire() == 0.0
    assert clock.slept == []
    assert pace.acquire() > 0


def test_seconds_for_says_how_long_n_requests_take_at_the_budget() -> None:
    clock = SimClock()
    pace = budget("400/min", clock)
    start = clock()
    for _ in range(1000):
        pace.acquire()
    assert clock() - start == pytest.approx(pace.seconds_for(1000), abs=0.2)
    assert pace.seconds_for(pace.burst) == 0.0


def test_threads_sharing_a_budget_keep_to_it_together() -> None:
    clock = SimClock()
    pace = budget("60/s", clock)
    stamps: list[float] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(50):
            pace.acquire()
            with lock:
                stamps.append(clock())

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(stamps) == 200
    # 200 requests at 60/s: the last goes no sooner than the budget allows
    assert max(stamps) - 1_800_000_000.0 >= 0.99 * pace.seconds_for(200)


def test_a_frozen_clock_with_a_recording_sleep_does_not_make_waits_grow() -> None:
    """Tests freeze the clock and record sleeps: the budget takes a sleep of w as w
    passed, so each request past the burst waits one interval, not ever longer."""
    slept: list[float] = []
    pace = RateBudget(parse_rate("10/s"), clock=lambda: 100.0, sleep=slept.append)
    for _ in range(50):
        pace.acquire()
    assert max(slept) <= 1 / pace.fill + 1e-9


def test_a_share_takes_its_part_of_the_budget() -> None:
    whole, half = SimClock(), SimClock()
    one = budget("400/min", whole)
    two = budget("400/min", half, share=2)
    for _ in range(400):
        one.acquire()
        two.acquire()
    # half the budget: the same 400 requests take about twice as long
    assert half() - 1_800_000_000.0 > 1.9 * (whole() - 1_800_000_000.0)
    assert two.rate == Rate(200, 60.0)


def test_a_share_must_be_a_whole_number_of_one_or_more() -> None:
    with pytest.raises(ValueError):
        budget("400/min", SimClock(), share=0)


# --- what the desk says ---------------------------------------------------------------


def test_a_lower_limit_in_the_desks_headers_lowers_the_budget() -> None:
    clock = SimClock()
    pace = budget("400/min", clock)
    pace.observe({"X-Rate-Limit": "200", "X-Rate-Limit-Remaining": "150"})  # Zendesk Team
    assert pace.rate == Rate(200, 60.0)
    pace.observe({"ratelimit-limit": "700"})  # never raised above what is configured
    assert pace.rate == Rate(200, 60.0)


def test_a_shared_budget_lowers_to_its_share_of_what_the_desk_says() -> None:
    pace = budget("400/min", SimClock(), share=2)
    pace.observe({"X-RateLimit-Limit": "200"})
    assert pace.rate == Rate(100, 60.0)


def test_unreadable_rate_headers_change_nothing() -> None:
    pace = budget("400/min", SimClock())
    for junk in ("", "0", "-3", "many", "²", "1e9"):
        pace.observe({"X-Rate-Limit": junk, "X-RateLimit-Remaining": junk})
    assert pace.rate == Rate(400, 60.0)


@pytest.mark.parametrize(
    "reset",
    [
        {"ratelimit-reset": "30"},  # Zendesk: seconds to the window's end
        {"X-RateLimit-Reset": str(1_800_000_000 + 30)},  # ServiceNow: Unix time
        {"X-RateLimit-Reset": "2027-01-15T08:00Z"},  # Jira: ISO 8601, to the minute
    ],
)
def test_nothing_remaining_holds_the_budget_until_the_reset(reset) -> None:
    start = 1_800_000_000.0
    if "2027" in next(iter(reset.values())):
        start = datetime(2027, 1, 15, 7, 59, 30, tzinfo=timezone.utc).timestamp()
    clock = SimClock(start)
    pace = budget("400/min", clock)
    pace.observe({"X-Rate-Limit-Remaining": "0", "X-RateLimit-Remaining": "0", **reset})
    pace.acquire()
    assert clock() == pytest.approx(start + 30)


def test_retry_after_pauses_every_user_of_the_budget() -> None:
    clock = SimClock()
    pace = budget("400/min", clock)
    pace.hold(7.0)
    pace.acquire()
    assert clock.slept == [pytest.approx(7.0)]
    # and it restarts without a burst: the next request waits one interval
    assert pace.acquire() == pytest.approx(1 / pace.fill)


def test_a_sleep_through_the_budget_counts_as_time_passed() -> None:
    """The adapter sleeps out a Retry-After through the budget; the budget does not
    then make the retry wait for the same pause again (a frozen clock in tests)."""
    slept: list[float] = []
    pace = RateBudget(parse_rate("400/min"), clock=lambda: 5.0, sleep=slept.append)
    pace.hold(7.0)
    pace.sleep(7.0)
    assert pace.acquire() == 0.0
    assert slept == [7.0]


# --- requests in flight -------------------------------------------------------------


@pytest.mark.parametrize(
    ("per_second", "latency", "expected"),
    [
        (2500 / 60, 0.05, 3),  # 2500/min at 50 ms: 2.08 requests' worth in flight
        (400 / 60, 0.05, 1),  # 400/min: one at a time already waits for the budget
        (6000 / 60, 0.05, 5),  # 6000/min
        (6000 / 60, 0.5, 8),  # capped
        (10.0, 0.2, 2),  # exactly 2.0 (float error would make it 3)
        (None, 0.05, 1),  # no rate of its own: nothing to fill
        (100.0, None, 1),  # no latency seen yet
        (100.0, 0.0, 1),  # answers in no time (a frozen clock)
    ],
)
def test_in_flight_is_rate_times_latency_rounded_up_from_1_to_8(
    per_second, latency, expected
) -> None:
    assert in_flight(per_second, latency) == expected


def test_a_budget_sizes_its_requests_in_flight_by_the_latency_it_was_told() -> None:
    clock = SimClock()
    pace = budget("2500/min", clock)
    assert (pace.latency, pace.in_flight()) == (None, 1)
    for _ in range(30):
        pace.served(0.05)
    assert pace.latency == pytest.approx(0.05) and pace.in_flight() == 3
    for _ in range(200):  # the desk slowed down: a moving mean follows it
        pace.served(0.2)
    assert pace.latency == pytest.approx(0.2, rel=1e-3) and pace.in_flight() == 8
    pace.served(float("nan"))  # a clock gone wrong tells nothing
    pace.served(-3.0)
    assert pace.latency == pytest.approx(0.2, rel=1e-3)


def test_a_budget_without_a_rate_takes_one_request_at_a_time() -> None:
    pace = RateBudget(None, clock=lambda: 5.0, sleep=lambda seconds: None)
    pace.served(0.5)
    assert pace.in_flight() == 1


def test_the_adapter_tells_the_budget_each_answer_s_latency_on_the_budget_s_clock() -> None:
    import requests
    import responses

    from escalada.connectors.http import mount_resilience

    clock = SimClock()
    pace = budget("6000/min", clock)
    session = requests.Session()
    mount_resilience(session, "d", sleep=clock.sleep, budget=pace)

    def answer(request: object) -> tuple[int, dict[str, str], str]:
        clock.sleep(0.25)  # the desk takes a quarter of a second, on the budget's clock
        return 200, {}, "{}"

    with responses.RequestsMock() as mock:
        mock.add_callback("GET", "https://desk.example.com/x", callback=answer)
        for _ in range(3):
            session.get("https://desk.example.com/x")
    assert pace.latency == pytest.approx(0.25) and pace.in_flight() == 8

"""The PostgreSQL queue's circuit breaker, on a clock the test moves by hand."""

from __future__ import annotations

import threading

from pinbridge.queue.breaker import Breaker


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_closed_admits_every_call() -> None:
    breaker = Breaker(1.0, Clock())
    assert [breaker.admit() for _ in range(3)] == [None, None, None]


def test_open_refuses_then_lets_one_trial_through() -> None:
    clock = Clock()
    breaker = Breaker(1.0, clock)
    breaker.failed("connection refused")
    clock.now += 0.3
    refusal = breaker.admit()
    assert refusal is not None
    assert "could not be reached 0.3 s ago (connection refused)" in refusal
    clock.now += 0.7
    assert breaker.admit() is None  # the trial
    assert breaker.admit() is not None  # refused while the trial runs
    breaker.succeeded()
    assert [breaker.admit() for _ in range(3)] == [None, None, None]


def test_a_failed_trial_opens_the_breaker_again() -> None:
    clock = Clock()
    breaker = Breaker(1.0, clock)
    breaker.failed("refused")
    clock.now += 5
    assert breaker.admit() is None
    breaker.failed("refused again")
    clock.now += 0.5
    refusal = breaker.admit()
    assert refusal is not None and "refused again" in refusal
    clock.now += 0.5
    assert breaker.admit() is None


def test_exactly_one_of_many_threads_gets_the_trial() -> None:
    clock = Clock()
    breaker = Breaker(1.0, clock)
    breaker.failed("refused")
    clock.now += 1
    start = threading.Barrier(16)
    answers: list[str | None] = []

    def admit() -> None:
        start.wait(timeout=30)
        answers.append(breaker.admit())

    threads = [threading.Thread(target=admit) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert answers.count(None) == 1
    assert len(answers) == 16

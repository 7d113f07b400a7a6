"""The process-local circuit breaker shared by click sync, board reads and the read throttle."""

from core.outage import OutagePause


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_failure_pauses_for_its_seconds_then_lets_callers_try_again() -> None:
    clock = Clock()
    pause = OutagePause(seconds=2.0, clock=clock)
    assert not pause.active()

    pause.failed()
    clock.now += 1.9
    assert pause.active()
    clock.now += 0.2
    assert not pause.active()


def test_only_the_first_failure_of_an_outage_and_the_first_success_after_it_are_news() -> None:
    pause = OutagePause(seconds=2.0, clock=Clock())

    assert not pause.succeeded()  # nothing was failing
    assert [pause.failed(), pause.failed(), pause.failed()] == [True, False, False]
    assert [pause.succeeded(), pause.succeeded()] == [True, False]
    assert pause.failed()  # a new outage is news again


def test_clear_forgets_the_failure() -> None:
    pause = OutagePause(seconds=60.0, clock=Clock())
    pause.failed()

    pause.clear()

    assert not pause.active()
    assert not pause.succeeded()

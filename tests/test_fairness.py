"""FairGate: global slots, one request in flight per client, round-robin, a per-client cap, a wait limit.

The ordering tests are deterministic: every job blocks on its own event until the test releases it,
and the test waits for the gate's state (jobs waiting, jobs started) rather than for time to pass.
"""

from __future__ import annotations

import threading
import time

import pytest

from assistant.fairness import FairGate, GateError, ServerBusy, TooManyWaiting

pytestmark = pytest.mark.unit

SETUP_TIMEOUT = 10.0  # generous: only for a job thread to get going, never compared with a measured time


def wait_until(predicate, what: str) -> None:
    deadline = time.monotonic() + SETUP_TIMEOUT
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.001)


class Jobs:
    """Jobs that each take a slot of ``gate`` and hold it until released; records the order they start."""

    def __init__(self, gate: FairGate) -> None:
        self.gate = gate
        self.started: list[str] = []
        self.errors: dict[str, BaseException] = {}
        self.release_events: dict[str, threading.Event] = {}
        self.threads: list[threading.Thread] = []
        self._cond = threading.Condition()

    def submit(self, client: str, name: str) -> None:
        """Start job ``name`` for ``client`` and return once it is running, waiting, or refused."""
        self.release_events[name] = threading.Event()
        before = self.gate.waiting(client)

        def run() -> None:
            try:
                with self.gate.slot(client):
                    with self._cond:
                        self.started.append(name)
                        self._cond.notify_all()
                    self.release_events[name].wait()
            except BaseException as exc:  # noqa: BLE001 - recorded for the test to look at
                with self._cond:
                    self.errors[name] = exc
                    self._cond.notify_all()

        thread = threading.Thread(target=run, daemon=True)
        self.threads.append(thread)
        thread.start()
        wait_until(lambda: name in self.started or name in self.errors or self.gate.waiting(client) > before,
                   f"job {name} to start, wait or be refused")

    def wait_started(self, count: int) -> None:
        with self._cond:
            assert self._cond.wait_for(lambda: len(self.started) >= count, SETUP_TIMEOUT), self.started

    def release(self, name: str) -> None:
        self.release_events[name].set()

    def release_all(self) -> None:
        for event in self.release_events.values():
            event.set()
        for thread in self.threads:
            thread.join(SETUP_TIMEOUT)

    def run_in_turn(self, total: int) -> list[str]:
        """With one slot: release the running job, wait for the next one to start, until ``total`` ran."""
        self.wait_started(1)
        for n in range(1, total):
            self.release(self.started[n - 1])
            self.wait_started(n + 1)
        self.release(self.started[-1])
        return list(self.started)


@pytest.fixture
def jobs_for():
    made: list[Jobs] = []

    def make(gate: FairGate) -> Jobs:
        made.append(Jobs(gate))
        return made[-1]

    yield make
    for jobs in made:
        jobs.release_all()


def test_one_client_flooding_does_not_starve_another(jobs_for):
    gate = FairGate(max_waiting=16, max_wait=None)  # default 2 slots; room for A's 16
    jobs = jobs_for(gate)
    for i in range(16):
        jobs.submit("A", f"A{i}")
    assert gate.waiting("A") == 15 and gate.running() == 1  # one in flight per client, a slot stays free
    jobs.submit("B", "B0")
    jobs.wait_started(2)
    assert "B0" in jobs.started[:3]
    assert jobs.started == ["A0", "B0"]


def test_with_one_slot_the_late_client_goes_next(jobs_for):
    gate = FairGate(slots=1, max_waiting=16, max_wait=None)
    jobs = jobs_for(gate)
    for i in range(16):
        jobs.submit("A", f"A{i}")
    jobs.submit("B", "B0")
    order = jobs.run_in_turn(17)
    assert order[:3] == ["A0", "B0", "A1"]
    assert order == ["A0", "B0"] + [f"A{i}" for i in range(1, 16)]  # each client's own jobs stay in order


def test_clients_take_turns_round_robin(jobs_for):
    gate = FairGate(slots=1, max_wait=None)
    jobs = jobs_for(gate)
    for client in "ABC":
        for i in range(3):
            jobs.submit(client, f"{client}{i}")
    assert jobs.run_in_turn(9) == ["A0", "B0", "C0", "A1", "B1", "C1", "A2", "B2", "C2"]


def test_the_least_recently_served_client_goes_first(jobs_for):
    gate = FairGate(slots=1, max_wait=None)
    jobs = jobs_for(gate)
    jobs.submit("A", "A0")  # runs
    jobs.submit("B", "B0")
    jobs.submit("A", "A1")
    jobs.release("A0")
    jobs.wait_started(2)
    jobs.submit("C", "C0")  # a new client: never served, ahead of A (served) though A waited longer
    jobs.release("B0")
    jobs.wait_started(3)
    assert jobs.started == ["A0", "B0", "C0"]
    jobs.release("C0")
    jobs.wait_started(4)
    assert jobs.started[3] == "A1"


def test_at_most_one_request_per_client_in_flight(jobs_for):
    gate = FairGate(slots=4, max_wait=None)
    jobs = jobs_for(gate)
    jobs.submit("A", "A0")
    jobs.submit("A", "A1")
    assert (gate.running(), gate.waiting("A")) == (1, 1)  # three slots free, yet A1 waits
    jobs.submit("B", "B0")
    jobs.wait_started(2)
    assert jobs.started == ["A0", "B0"] and gate.running() == 2
    jobs.release("A0")
    jobs.wait_started(3)
    assert jobs.started[2] == "A1" and gate.waiting() == 0


def test_a_client_over_its_waiting_cap_is_refused_at_once_and_others_still_get_in(jobs_for):
    gate = FairGate(slots=1, max_waiting=2, max_wait=None)  # no wait limit: a refusal can only be the cap
    jobs = jobs_for(gate)
    jobs.submit("A", "A0")  # running
    jobs.submit("A", "A1")
    jobs.submit("A", "A2")  # A has 2 waiting: the cap
    with pytest.raises(TooManyWaiting, match=r"too many of your questions are waiting already \(at most 2 may wait\)"):
        with gate.slot("A"):
            pytest.fail("admitted over the cap")
    assert gate.waiting("A") == 2  # the refused request left nothing behind
    jobs.submit("A", "A3")  # refused in its thread as well
    assert isinstance(jobs.errors["A3"], TooManyWaiting)
    jobs.submit("B", "B0")  # another client is not affected
    assert gate.waiting("B") == 1
    assert jobs.run_in_turn(4) == ["A0", "B0", "A1", "A2"]


def test_the_cap_counts_only_waiting_requests():
    gate = FairGate(slots=1, max_waiting=0, max_wait=None)
    with gate.slot("A"):  # admitted at once: nothing waits
        with pytest.raises(TooManyWaiting):  # would wait (A is in flight): 0 may wait
            gate.acquire("A")
        with pytest.raises(TooManyWaiting):  # would wait (no free slot)
            gate.acquire("B")
    with gate.slot("B"):
        assert gate.running() == 1


def test_a_request_that_waits_too_long_is_told_the_server_is_busy(jobs_for):
    gate = FairGate(slots=1, max_wait=0.05)
    jobs = jobs_for(gate)
    jobs.submit("A", "A0")  # holds the only slot until the test ends
    with pytest.raises(ServerBusy, match=r"^the server is busy, try again"):
        with gate.slot("B"):
            pytest.fail("admitted while the slot was held")
    with pytest.raises(ServerBusy, match="busy"):  # the same client's second request as well
        with gate.slot("A"):
            pytest.fail("admitted while the slot was held")
    assert gate.waiting() == 0 and gate.running() == 1
    assert issubclass(ServerBusy, ValueError) and issubclass(TooManyWaiting, GateError)
    jobs.release("A0")
    wait_until(lambda: gate.running() == 0, "the slot to be released")
    with gate.slot("B"):  # the gate still works after a timeout
        assert gate.running() == 1


def test_the_slot_is_released_when_the_work_fails():
    gate = FairGate(slots=1, max_wait=0)
    with pytest.raises(RuntimeError, match="boom"):
        with gate.slot("A"):
            raise RuntimeError("boom")
    assert gate.running() == 0
    with gate.slot("A"):  # max_wait 0: admitted only because the slot is free again
        pass
    with pytest.raises(RuntimeError, match="release without a slot"):
        gate.release("A")


def test_idle_clients_are_forgotten():
    gate = FairGate(slots=1, max_wait=None)
    for n in range(1000):
        with gate.slot(f"session:{n}"):
            pass
    assert gate.remembered() <= 1 and gate.waiting() == 0 and gate.running() == 0


@pytest.mark.parametrize("kwargs", [{"slots": 0}, {"slots": 1.5}, {"slots": True}, {"max_waiting": -1},
                                    {"max_wait": -1}, {"max_wait": float("nan")}, {"max_wait": "60"}])
def test_bad_settings_are_refused(kwargs):
    with pytest.raises(ValueError, match=next(iter(kwargs))):
        FairGate(**kwargs)


def test_defaults():
    gate = FairGate()
    assert (gate.slots, gate.max_waiting, gate.max_wait) == (2, 8, 60.0)

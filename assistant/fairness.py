"""Fair admission to the answering: a few global slots, one request in flight per client, round-robin.

The model encodes one text at a time, so whoever gets in first is served first; with a plain FIFO
queue a client sending 16 long questions at once makes everyone behind them wait for all 16. A
:class:`FairGate` hands out its slots differently:

- at most ``slots`` requests run at once (all clients together);
- at most one request per client runs at once; the client's other requests wait;
- when a slot frees, it goes to the waiting client that was *served least recently* (a client never
  served before goes first, ties by arrival), and that client's oldest waiting request runs; so
  clients take turns however many requests each has queued;
- a client may have at most ``max_waiting`` requests waiting; one more is refused at once
  (:class:`TooManyWaiting`);
- a request that has waited ``max_wait`` seconds gives up (:class:`ServerBusy`).

Both errors are ValueErrors with a message meant for the user. Usage::

    gate = FairGate()
    with gate.slot(client_key):
        ...  # the work

Thread-safe; the waiting is a blocking wait on a condition variable, so it belongs in worker threads.
"""

from __future__ import annotations

import itertools
import math
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Hashable, Iterator
from contextlib import contextmanager

DEFAULT_SLOTS = 2  # requests answered at once, all clients together
DEFAULT_MAX_WAITING = 8  # requests one client may have waiting besides the one being answered
DEFAULT_MAX_WAIT = 60.0  # seconds a request waits for a slot before it gives up


class GateError(ValueError):
    """A request was not admitted; the message is meant for the user."""


class ServerBusy(GateError):
    """No slot became free for this request within the gate's ``max_wait``."""


class TooManyWaiting(GateError):
    """The client already has the most requests waiting that it may have."""


class _Ticket:
    __slots__ = ("client", "seq", "granted")

    def __init__(self, client: Hashable, seq: int) -> None:
        self.client = client
        self.seq = seq
        self.granted = False


class FairGate:
    """Admits at most ``slots`` requests at once, one per client, round-robin over waiting clients."""

    def __init__(self, slots: int = DEFAULT_SLOTS, max_waiting: int = DEFAULT_MAX_WAITING,
                 max_wait: float | None = DEFAULT_MAX_WAIT) -> None:
        if isinstance(slots, bool) or not isinstance(slots, int) or slots < 1:
            raise ValueError(f"slots must be a whole number of at least 1, not {slots!r}")
        if isinstance(max_waiting, bool) or not isinstance(max_waiting, int) or max_waiting < 0:
            raise ValueError(f"max_waiting must be a whole number of at least 0, not {max_waiting!r}")
        if max_wait is not None and (isinstance(max_wait, bool) or not isinstance(max_wait, (int, float))
                                     or math.isnan(max_wait) or max_wait < 0):
            raise ValueError(f"max_wait must be a number of seconds of at least 0 (or None), not {max_wait!r}")
        self.slots = slots
        self.max_waiting = max_waiting
        self.max_wait = None if max_wait is None else float(max_wait)
        self._cond = threading.Condition()
        self._free = slots
        self._running: set[Hashable] = set()  # clients with a request in flight (one each)
        self._waiting: dict[Hashable, deque[_Ticket]] = {}  # per client, oldest first; no empty deques
        # when each client was last given a slot, least recent first; inactive clients are forgotten
        # once they are the least recent (they would go first anyway, as a never-seen client does)
        self._served: OrderedDict[Hashable, int] = OrderedDict()
        self._seq = itertools.count()  # arrival order of requests
        self._turns = itertools.count()  # order of grants

    # ---- the public interface -------------------------------------------------------------
    @contextmanager
    def slot(self, client: Hashable) -> Iterator[None]:
        """Wait for a slot for ``client`` (fairly), hold it for the ``with`` body, then release it.

        Raises TooManyWaiting at once when the client already has ``max_waiting`` requests waiting,
        ServerBusy when no slot came within ``max_wait`` seconds.
        """
        self.acquire(client)
        try:
            yield
        finally:
            self.release(client)

    def acquire(self, client: Hashable) -> None:
        """Block until ``client`` holds a slot; pair with :meth:`release` (or use :meth:`slot`)."""
        with self._cond:
            ticket = _Ticket(client, next(self._seq))
            self._waiting.setdefault(client, deque()).append(ticket)
            self._dispatch()
            if not ticket.granted and len(self._waiting[client]) > self.max_waiting:
                self._drop(ticket)
                raise TooManyWaiting(
                    f"too many of your questions are waiting already (at most {self.max_waiting} may wait); "
                    "wait for their answers, then ask again")
            deadline = None if self.max_wait is None else time.monotonic() + self.max_wait
            try:
                while not ticket.granted:
                    remaining = None if deadline is None else deadline - time.monotonic()
                    if remaining is not None and remaining <= 0:
                        raise ServerBusy(
                            f"the server is busy, try again in a minute (no free slot within {self.max_wait:g} s)")
                    self._cond.wait(remaining)
            except BaseException:
                if ticket.granted:  # granted just as we gave up: hand the slot on
                    self._release_locked(client)
                else:
                    self._drop(ticket)
                raise

    def release(self, client: Hashable) -> None:
        """Give back the slot ``client`` holds."""
        with self._cond:
            self._release_locked(client)

    # ---- introspection (tests, monitoring) ----------------------------------------------------
    def waiting(self, client: Hashable | None = None) -> int:
        """Requests waiting for a slot: ``client``'s, or everyone's."""
        with self._cond:
            if client is not None:
                return len(self._waiting.get(client, ()))
            return sum(len(q) for q in self._waiting.values())

    def running(self) -> int:
        """Requests holding a slot now."""
        with self._cond:
            return self.slots - self._free

    def remembered(self) -> int:
        """Clients whose last turn is remembered (bounded by the active clients plus a few)."""
        with self._cond:
            return len(self._served)

    # ---- internals (call with the lock held) ---------------------------------------------------
    def _release_locked(self, client: Hashable) -> None:
        if client not in self._running:
            raise RuntimeError(f"release without a slot for client {client!r}")
        self._running.discard(client)
        self._free += 1
        self._dispatch()

    def _drop(self, ticket: _Ticket) -> None:
        queue = self._waiting.get(ticket.client)
        if queue is not None:
            try:
                queue.remove(ticket)
            except ValueError:
                pass
            if not queue:
                del self._waiting[ticket.client]
        self._forget_idle()

    def _dispatch(self) -> None:
        """Give free slots to waiting clients, least recently served first."""
        granted = False
        while self._free > 0:
            ready = [c for c in self._waiting if c not in self._running]
            if not ready:
                break
            # never served (-1) before served; then least recently served; then the oldest request
            client = min(ready, key=lambda c: (self._served.get(c, -1), self._waiting[c][0].seq))
            queue = self._waiting[client]
            ticket = queue.popleft()
            if not queue:
                del self._waiting[client]
            ticket.granted = True
            self._running.add(client)
            self._free -= 1
            self._served[client] = next(self._turns)
            self._served.move_to_end(client)
            granted = True
        self._forget_idle()
        if granted:
            self._cond.notify_all()

    def _forget_idle(self) -> None:
        """Forget the least recently served clients while they have nothing running or waiting."""
        while self._served:
            client = next(iter(self._served))
            if client in self._running or client in self._waiting:
                break
            del self._served[client]

"""Simulated time: a clock the tests move, and the event queue that runs on it.

Nothing in the simulator reads the wall clock for state changes. Transitions (VM boot,
image LOCKED->READY, OneFlow steps, cooldown expiry) are events due at a simulated time;
they run when the clock reaches that time, in due order, so tests never sleep.
"""

import heapq
import itertools
import threading
import time


class SimClock:
    """Monotonic simulated clock in epoch seconds (float)."""

    def __init__(self, start=None):
        self._now = float(int(time.time()) if start is None else start)
        self._lock = threading.RLock()
        self._listeners = []

    def now(self):
        with self._lock:
            return self._now

    def epoch(self):
        """Whole epoch seconds, the unit OpenNebula stores (STIME, start_time, log timestamps)."""
        return int(self.now())

    def advance(self, seconds):
        """Move time forward and run every event that became due."""
        if seconds < 0:
            raise ValueError("the simulated clock only moves forward")
        with self._lock:
            self._now += seconds
        for listener in list(self._listeners):
            listener()

    def on_advance(self, listener):
        self._listeners.append(listener)


class Scheduler:
    """Events due at simulated times; run_due() executes those whose time has come."""

    def __init__(self, clock):
        self.clock = clock
        self._queue = []
        self._order = itertools.count()
        self._running_at = None   # due time of the event being processed, if any

    def at(self, due, action):
        heapq.heappush(self._queue, (due, next(self._order), action))

    def now(self):
        """The simulated time of what is happening: an event's due time while it runs
        (so chains of transitions keep their own pace after a big clock jump)."""
        return self.clock.now() if self._running_at is None else self._running_at

    def after(self, delay, action, base=None):
        self.at((self.now() if base is None else base) + delay, action)

    def run_due(self, after_each=None):
        """Run due events in time order. Each action gets its due time, so what it records
        (STIME, log timestamps) is the simulated moment it happened, not the moment we noticed."""
        ran = 0
        while self._queue and self._queue[0][0] <= self.clock.now():
            due, _seq, action = heapq.heappop(self._queue)
            self._running_at = due
            try:
                action(due)
                if after_each is not None:
                    after_each(due)
            finally:
                self._running_at = None
            ran += 1
        return ran

    def pending(self):
        return len(self._queue)

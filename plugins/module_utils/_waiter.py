# -*- coding: utf-8 -*-
# Copyright: opennebula.flower contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""A table-driven waiter: the mechanics only; each domain declares its tables beside its client.

A table names the success, failure and transitional states (``fnmatch`` patterns are allowed, e.g.
``ACTIVE/*_FAILURE``). The waiter polls with capped exponential backoff and jitter (or a pause of the
caller's choosing per state) until a success state, fails fast on a failure state, and gives up after a
timeout. ``sleep``, ``clock`` and ``rand`` are injectable so tests never wait for real.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import fnmatch
import random
import time


def wait_argument_spec(default_timeout=600):
    """The wait options of a module that waits (documented by the _opennebula wait and polling fragments)."""
    return dict(
        wait=dict(type='bool', default=True),
        wait_timeout=dict(type='int', default=default_timeout),
        poll_interval=dict(type='float', default=2.0),
        max_poll_interval=dict(type='float', default=30.0),
    )


def wait_options(params):
    """Keyword arguments for Waiter.wait from the wait options."""
    return dict(timeout=params['wait_timeout'], delay=params['poll_interval'],
                max_delay=max(params['max_poll_interval'], params['poll_interval']))


class WaitError(Exception):
    def __init__(self, message, state=None, resource=None):
        super(WaitError, self).__init__(message)
        self.message = message
        self.state = state
        self.resource = resource


class WaitFailure(WaitError):
    """The resource reached a failure state."""


class WaitTimeout(WaitError):
    """The timeout elapsed in a transitional state."""


class StateTable:
    """``unknown`` says what to do with a state that is in no list: 'fail' or 'retry'."""

    def __init__(self, name, success, failure=(), transitional=(), unknown='fail'):
        self.name = name
        self.success = tuple(success)
        self.failure = tuple(failure)
        self.transitional = tuple(transitional)
        self.unknown = unknown

    @staticmethod
    def _match(state, patterns):
        return any(fnmatch.fnmatchcase(str(state), p) for p in patterns)

    def classify(self, state):
        """Return 'success', 'failure' or 'retry'. Failure patterns win over the others."""
        if self._match(state, self.failure):
            return 'failure'
        if self._match(state, self.success):
            return 'success'
        if self._match(state, self.transitional):
            return 'retry'
        return 'failure' if self.unknown == 'fail' else 'retry'


# What ``state_of`` names a resource that is gone (or never was), so that tables can list it.
ABSENT = 'ABSENT'


class Waiter:
    def __init__(self, sleep=time.sleep, clock=time.monotonic, rand=random.random):
        self.sleep = sleep
        self.clock = clock
        self.rand = rand

    def wait(self, fetch, state_of, table, timeout=600, delay=2.0, max_delay=30.0, backoff=1.5, describe=None,
             jitter=0.25, next_delay=None):
        """Poll ``fetch()`` until ``state_of(resource)`` is a success state of ``table``.

        Returns the last resource. Raises WaitFailure or WaitTimeout; ``describe(resource)`` adds detail
        (for example the OneFlow log) to their messages.

        The pause after a poll is the backoff's step (``delay``, times ``backoff`` after each poll, up to
        ``max_delay``) shortened at random by up to ``jitter`` of it, or what ``next_delay(state, step)`` makes
        of that step for the state the poll saw; never past the timeout, at which one last poll is made.
        """
        deadline = self.clock() + timeout
        current = float(delay)
        while True:
            resource = fetch()
            state = state_of(resource)
            verdict = table.classify(state)
            if verdict == 'success':
                return resource
            detail = describe(resource) if describe else ''
            suffix = (': ' + detail) if detail else ''
            if verdict == 'failure':
                raise WaitFailure('%s: reached state %s%s' % (table.name, state, suffix), state, resource)
            remaining = deadline - self.clock()
            if remaining <= 0:
                raise WaitTimeout('%s: timed out after %ss in state %s%s' % (table.name, timeout, state, suffix),
                                  state, resource)
            # Jitter keeps many pollers from aligning.
            step = current * (1 - jitter + jitter * self.rand())
            if next_delay is not None:
                step = next_delay(state, step)
            self.sleep(min(step, remaining))
            current = min(current * backoff, float(max_delay))

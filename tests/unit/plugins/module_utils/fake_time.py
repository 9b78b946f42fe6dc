"""A clock and sleep for waiters under test: sleeping only moves the clock, and every sleep is recorded."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type


class FakeTime(object):
    def __init__(self, start=0.0):
        self.now = start
        self.sleeps = []

    def clock(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds

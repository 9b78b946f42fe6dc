# -*- coding: utf-8 -*-
# Copyright: opennebula.flower contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Submitting a Flower App run, waiting for it, and remembering it so a re-run of a playbook trains only when
something that defines the run changed (the app's files, its run config or the SuperLink)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import tempfile
import time

from ansible_collections.opennebula.flower.plugins.module_utils._flower_apps import app_digest
from ansible_collections.opennebula.flower.plugins.module_utils._flwr import FlwrError

# What `flwr build` puts into a FAB; only these files define the run.
COMPLETED = "finished:completed"


class RunError(Exception):
    def __init__(self, message, run=None, log=""):
        super(RunError, self).__init__(message)
        self.run = run
        self.log = log


def run_fingerprint(app_dir, run_config, superlink):
    digest = app_digest(app_dir)
    digest.update(json.dumps([run_config or {}, superlink], sort_keys=True).encode("utf-8"))
    return digest.hexdigest()


def load_record(path):
    if not path or not os.path.exists(path):
        return None
    try:
        with open(path) as handle:
            return json.load(handle)
    except ValueError:
        return None


def save_record(path, record, atomic_move):
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(os.path.abspath(path)), prefix=".run-record-")
    with os.fdopen(fd, "w") as handle:
        json.dump(record, handle, indent=2, sort_keys=True)
    os.chmod(tmp, 0o644)
    atomic_move(tmp, path)


def summarize(run):
    """The run as the module returns it."""
    return dict(
        run_id=int(run["run-id"]),
        status=run.get("status"),
        status_details=run.get("status-details"),
        fab_hash=run.get("fab-hash"),
        elapsed=run.get("elapsed"),
        network_traffic=run.get("network-traffic", {}),
        compute_time=run.get("compute-time", {}),
    )


def previous_run(cli, record, fingerprint):
    """The recorded run when it matches ``fingerprint`` and the SuperLink still has it completed, else None."""
    if not record or record.get("fingerprint") != fingerprint:
        return None
    try:
        run = cli.get_run(record["run_id"])
    except FlwrError:
        return None
    return run if run.get("status") == COMPLETED else None


def wait_for_run(cli, run_id, timeout, poll_interval, sleep=time.sleep, clock=time.monotonic, follow=True):
    """Wait until the run is ``finished:*`` and return it: follow its log stream, then poll (backing off up to 4x
    the poll interval) until the status says so."""
    deadline = clock() + timeout
    if follow:
        cli.follow_run(run_id, timeout)
    interval = poll_interval
    while True:
        run = cli.get_run(run_id)
        status = run.get("status", "")
        if status.startswith("finished:"):
            if status != COMPLETED:
                raise RunError("run %s ended %s: %s" % (run_id, status, run.get("status-details")),
                               run=run, log=cli.run_log(run_id))
            return run
        remaining = deadline - clock()
        if remaining <= 0:
            raise RunError("run %s still %s after %s s (timeout)" % (run_id, status, timeout),
                           run=run, log=cli.run_log(run_id))
        # Never sleep past the deadline, and poll once more at it.
        sleep(min(interval, remaining))
        interval = min(interval * 1.5, poll_interval * 4)


def log_tail(text, lines=40):
    return "\n".join(text.strip().splitlines()[-lines:])

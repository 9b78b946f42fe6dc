# -*- coding: utf-8 -*-
# Copyright: opennebula.flower contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Submitting a Flower App run, waiting for it, and remembering it so a re-run of a playbook trains only when
something that defines the run changed (the app's files, its run config or the SuperLink).

A run counts as trained only when every round got enough results: the collection's apps record each round's train
and evaluate step in <output dir>/<run id>/metrics.json under ``replies`` (results, failures, the minimum, each
failing node's error; apps/*/*/rounds.py) and stop the run at the first short step. ``round_problems`` reads that,
so a run in which every node failed fails here with the nodes' errors, whatever status Flower gave it."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import tempfile
import time

from ansible_collections.opennebula.flower.plugins.module_utils._flower_apps import app_digest
from ansible_collections.opennebula.flower.plugins.module_utils._flwr import FlwrError
from ansible_collections.opennebula.flower.plugins.module_utils._waiter import StateTable, Waiter, WaitTimeout

COMPLETED = "finished:completed"
# A run is over at any finished:* status (completed, failed, stopped); wait_for_run judges how it ended.
RUN_FINISHED = StateTable("run finished", success=["finished:*"], transitional=["*"])


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


def read_metrics(output_dir, run_id):
    """The run's metrics.json under ``output_dir`` as a dict; None without an output_dir, the file or valid JSON."""
    if not output_dir:
        return None
    path = os.path.join(output_dir, str(run_id), "metrics.json")
    try:
        with open(path) as handle:
            metrics = json.load(handle)
    except (IOError, OSError, ValueError):
        return None
    return metrics if isinstance(metrics, dict) else None


def describe_step(step):
    """One line per short step: the round, the phase, the counts and each failing node's error."""
    line = "round %s %s: %s results and %s failures from %s nodes, fewer than the minimum of %s" % (
        step.get("round"), step.get("phase"), step.get("results"), step.get("failures"), step.get("sent"),
        step.get("minimum"))
    errors = ["node %s: %s" % (error.get("node_id"), error.get("reason")) for error in step.get("errors") or []]
    return "; ".join([line] + errors)


def round_problems(metrics):
    """What metrics.json says went wrong with the rounds, one line each; [] when nothing did (or no metrics)."""
    if not metrics:
        return []
    short = [step for step in metrics.get("replies") or []
             if isinstance(step, dict) and int(step.get("results", 0)) < int(step.get("minimum", 1))]
    if short:
        return [describe_step(step) for step in short]
    if metrics.get("error"):
        return [str(metrics["error"])]
    if metrics.get("rounds") == [] and int(metrics.get("num_rounds") or 0) > 0:
        return ["metrics.json records no round of the %s asked for (rounds: [])" % metrics["num_rounds"]]
    return []


def wait_for_run(cli, run_id, timeout, poll_interval, sleep=time.sleep, clock=time.monotonic, follow=True,
                 output_dir=None):
    """Wait until the run is ``finished:*`` and return it: follow its log stream, then poll (backing off up to 4x
    the poll interval) until the status says so. With ``output_dir`` (where the app writes <run id>/metrics.json)
    a completed run whose rounds got fewer results than the minimum fails too, and a failed run's error names the
    rounds and the nodes' errors."""
    deadline = clock() + timeout
    if follow:
        cli.follow_run(run_id, timeout)
    try:
        # One poller per run, so no jitter.
        run = Waiter(sleep=sleep, clock=clock).wait(
            lambda: cli.get_run(run_id), lambda r: r.get("status", ""), RUN_FINISHED, timeout=deadline - clock(),
            delay=poll_interval, max_delay=poll_interval * 4, backoff=1.5, jitter=0)
    except WaitTimeout as exc:
        raise RunError("run %s still %s after %s s (timeout)" % (run_id, exc.state, timeout),
                       run=exc.resource, log=cli.run_log(run_id))
    status = run["status"]
    problems = round_problems(read_metrics(output_dir, run_id))
    if status != COMPLETED:
        raise RunError("\n".join(["run %s ended %s: %s" % (run_id, status, run.get("status-details"))] + problems),
                       run=run, log=cli.run_log(run_id))
    if problems:
        raise RunError("\n".join(["run %s ended %s, but not every round trained:" % (run_id, status)] + problems),
                       run=run, log=cli.run_log(run_id))
    return run


def log_tail(text, lines=40):
    return "\n".join(text.strip().splitlines()[-lines:])

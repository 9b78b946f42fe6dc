"""Replies per round: how many results and failures each round's train and evaluate step got back, with the nodes'
errors. A step with fewer results than the strategy's minimum fails the run (RoundFailed, raised before anything
is aggregated), so a federation whose nodes all fail never reports a completed run with no rounds; metrics.json
records every step under `replies` (and, when the run failed, the step and the error) for flower_run to read.

A Flower App is built into its own FAB, so every app carries this module; the copies are kept identical
(tests/unit/apps/test_use_case_apps.py)."""

import json
import os
import re
from pathlib import Path

# Flower's ClientApp error reason: "<class 'FileNotFoundError'>:<'no tabular.csv in ...'>"
_REASON = re.compile(r"^<class '(?:[\w.]+\.)?(\w+)'>:<'(.*)'>$", re.S)


class RoundFailed(RuntimeError):
    """A round's step got fewer results than the strategy's minimum."""

    def __init__(self, step):
        super().__init__(describe(step))
        self.step = step


def reason(text):
    """Flower's error reason as `Type: message`."""
    match = _REASON.match(str(text))
    return "%s: %s" % match.groups() if match else str(text)


def describe(step):
    """One line: the round, the step, its counts and each failing node's error."""
    line = ("round %d %s: %d results and %d failures from %d nodes, fewer than the minimum of %d"
            % (step["round"], step["phase"], step["results"], step["failures"], step["sent"], step["minimum"]))
    errors = ["node %s: %s" % (error["node_id"], error["reason"]) for error in step["errors"]]
    return "; ".join([line] + errors)


def _phase(messages):
    kind = str(messages[0].metadata.message_type)
    return kind.split(".", 1)[0] if kind else "unknown"


def _round(messages, fallback):
    try:
        return int(messages[0].content["config"]["server-round"])
    except (KeyError, TypeError, ValueError):
        return fallback


class RecordingGrid:
    """A Grid whose send_and_receive records each step's replies and raises RoundFailed when fewer than the minimum
    (per phase: train, evaluate) came back without an error. Everything else is the wrapped Grid's."""

    def __init__(self, grid, min_train, min_evaluate):
        self._grid = grid
        self.minimum = {"train": int(min_train), "evaluate": int(min_evaluate)}
        self.steps = []
        self._trains = 0

    def __getattr__(self, name):
        return getattr(self._grid, name)

    def send_and_receive(self, messages, *args, **kwargs):
        messages = list(messages)
        replies = list(self._grid.send_and_receive(messages, *args, **kwargs))
        if not messages:
            return replies
        phase = _phase(messages)
        if phase == "train":
            self._trains += 1
        errors = [{"node_id": int(reply.metadata.src_node_id), "code": int(reply.error.code),
                   "reason": reason(reply.error.reason)} for reply in replies if reply.has_error()]
        step = {"round": _round(messages, max(self._trains, 1)), "phase": phase, "sent": len(messages),
                "results": len(replies) - len(errors), "failures": len(errors) + len(messages) - len(replies),
                "minimum": min(self.minimum.get(phase, 1), len(messages)),
                "errors": errors}
        self.steps.append(step)
        if step["results"] < step["minimum"]:
            raise RoundFailed(step)
        return replies


def output_dir(run_config, run_id):
    """<output-dir>/<run id> (output-dir empty = $FLWR_HOME/runs), created."""
    base = str(run_config.get("output-dir", "")) or os.path.join(
        os.environ.get("FLWR_HOME", os.path.expanduser("~/.flwr")), "runs")
    path = Path(base) / str(run_id)
    path.mkdir(parents=True, exist_ok=True)
    return path


def write_failure(context, app, grid, error, rounds=()):
    """metrics.json of a run that stopped at a round: the rounds done, every step's replies and the error."""
    summary = {"run_id": context.run_id, "app": app, "status": "failed", "error": str(error),
               "failed_step": getattr(error, "step", None), "rounds": list(rounds), "replies": grid.steps,
               "num_rounds": int(context.run_config.get("num-server-rounds", 0))}
    path = output_dir(context.run_config, context.run_id) / "metrics.json"
    path.write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n")
    return summary

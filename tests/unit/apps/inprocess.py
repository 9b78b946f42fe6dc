"""Runs the digits ServerApp against the digits ClientApp in this process: a Grid that delivers each message by
calling the ClientApp with that node's Context. No SuperLink, no SuperNodes; the strategies, the ClientApp code
(FedProx's proximal term, the DP mod, the malicious mode) and the checkpoints are the real ones."""

import itertools
import sys
from pathlib import Path

from flwr.app import Context, Message, RecordDict
from flwr.serverapp import Grid

REPO = Path(__file__).resolve().parents[3]
APP_DIR = REPO / "apps/digits"
if str(APP_DIR) not in sys.path:
    sys.path.insert(0, str(APP_DIR))

try:  # Flower 1.42 builds messages for the task running in this process
    from flwr.supercore.task_identity import TaskIdentity
except ImportError:  # Flower 1.31
    TaskIdentity = None

RUN_ID = 4242


def app_defaults() -> dict:
    import tomllib

    return dict(tomllib.loads((APP_DIR / "pyproject.toml").read_text())["tool"]["flwr"]["app"]["config"])


class _Run:  # the parts of flwr's Run the ServerApp reads
    run_id, fab_id, fab_version, fab_hash = RUN_ID, "opennebula/digits", "1.1.0", "0" * 64


class InProcessGrid(Grid):
    def __init__(self, node_configs, run_config):
        from digits.client_app import app as client_app

        self.client_app = client_app
        self.nodes = {1000 + i: Context(run_id=RUN_ID, node_id=1000 + i, node_config=dict(cfg), state=RecordDict(),
                                        run_config=dict(run_config))
                      for i, cfg in enumerate(node_configs)}
        self._ids = itertools.count(1)
        self.sent = []
        if TaskIdentity is not None:
            TaskIdentity.run_id, TaskIdentity.node_id, TaskIdentity.task_id = RUN_ID, 0, 1

    def set_run(self, run):  # pragma: no cover - not used in process
        pass

    @property
    def run(self):
        return _Run()

    def create_message(self, content, message_type, dst_node_id, group_id, ttl=None):
        return Message(content=content, dst_node_id=dst_node_id, message_type=message_type, group_id=group_id)

    def get_node_ids(self):
        return list(self.nodes)

    def push_messages(self, messages):  # pragma: no cover - send_and_receive is used
        raise NotImplementedError

    def pull_messages(self, message_ids):  # pragma: no cover
        raise NotImplementedError

    def send_and_receive(self, messages, *, timeout=None):
        replies = []
        for msg in messages:
            msg.metadata.__dict__["_message_id"] = str(next(self._ids))
            self.sent.append(msg)
            context = self.nodes[msg.metadata.dst_node_id]
            replies.append(self.client_app(msg, context))
        return replies


def run_server(run_config, node_configs, tmp_path):
    """Run the ServerApp once; return (metrics.json as dict, run output dir)."""
    import json

    from digits.server_app import app as server_app

    config = app_defaults()
    config.update(run_config)
    if not config.get("output-dir"):
        config["output-dir"] = str(tmp_path / "runs")
    if not config.get("checkpoint-dir"):
        config["checkpoint-dir"] = str(tmp_path / "checkpoints")
    grid = InProcessGrid(node_configs, config)
    context = Context(run_id=RUN_ID, node_id=0, node_config={}, state=RecordDict(), run_config=config)
    server_app(grid, context)
    out = Path(config["output-dir"]) / str(RUN_ID)
    return json.loads((out / "metrics.json").read_text()), out


def nodes(count, malicious=()):
    return [{"partition-id": i, "num-partitions": count, **({"malicious": True} if i in malicious else {})}
            for i in range(count)]

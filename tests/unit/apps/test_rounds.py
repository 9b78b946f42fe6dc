"""A round with fewer results than the strategy's minimum fails the run (apps/*/*/rounds.py): the anomaly-detection
ServerApp run in process against its real ClientApp on nodes without, with half of, and with their data. Errors are
turned into error replies exactly as Flower's SuperNode does (flwr/supernode/runtime/run_clientapp.py)."""

import json
import sys
from pathlib import Path

import pytest
from flwr.app import Context, Error, Message, RecordDict

APPS = Path(__file__).resolve().parents[3] / "apps"
APP_NAMES = ("digits", "anomaly_detection", "image_classification", "llm_finetune")
for name in APP_NAMES[1:]:
    if str(APPS / name) not in sys.path:
        sys.path.insert(0, str(APPS / name))

from anomaly_detection import data, rounds  # noqa: E402  pylint: disable=wrong-import-position
from tests.unit.apps.inprocess import InProcessGrid, RUN_ID  # noqa: E402  pylint: disable=wrong-import-position

RUN_CONFIG = {"framework": "sklearn", "num-server-rounds": 2, "min-nodes": 2, "local-epochs": 2,
              "learning-rate": 0.01, "num-features": 16, "data-file": "tabular.csv", "threshold-quantile": 0.995,
              "target-f1": 0.8}


class FailingNodesGrid(InProcessGrid):
    """The in-process Grid with the anomaly ClientApp, replying with an Error where the ClientApp raises."""

    def __init__(self, data_dirs, run_config):
        from anomaly_detection.client_app import app as client_app

        super().__init__([{"data-dir": str(d)} for d in data_dirs], run_config)
        self.client_app = client_app

    def send_and_receive(self, messages, *, timeout=None):
        replies = []
        for msg in messages:
            msg.metadata.__dict__["_message_id"] = str(next(self._ids))
            self.sent.append(msg)
            try:
                replies.append(self.client_app(msg, self.nodes[msg.metadata.dst_node_id]))
            except Exception as ex:  # pylint: disable=broad-except
                reply = Message(Error(code=0, reason=str(type(ex)) + ":<'" + str(ex) + "'>"), reply_to=msg)
                reply.metadata.__dict__["_src_node_id"] = msg.metadata.dst_node_id
                replies.append(reply)
        return replies


def run_anomaly(tmp_path, with_data):
    from anomaly_detection.server_app import app as server_app

    dirs = []
    for index, has_data in enumerate(with_data, start=1):
        node_dir = tmp_path / ("node%d" % index)
        node_dir.mkdir()
        if has_data:
            data.write_synthetic(node_dir / "tabular.csv", 600, seed=index)
        dirs.append(node_dir)
    config = dict(RUN_CONFIG, **{"output-dir": str(tmp_path / "runs")})
    grid = FailingNodesGrid(dirs, config)
    context = Context(run_id=RUN_ID, node_id=0, node_config={}, state=RecordDict(), run_config=config)
    try:
        server_app(grid, context)
        error = None
    except rounds.RoundFailed as err:
        error = err
    metrics = json.loads((tmp_path / "runs" / str(RUN_ID) / "metrics.json").read_text())
    return error, metrics, dirs, grid


def test_every_node_failing_fails_the_run_with_their_errors(tmp_path):
    error, metrics, dirs, grid = run_anomaly(tmp_path, [False, False])
    assert error is not None, "the run went on with 0 results"
    # Stopped at round 1's train step: nothing else was sent.
    assert [msg.metadata.message_type for msg in grid.sent] == ["train", "train"]
    assert metrics["status"] == "failed" and metrics["rounds"] == []
    step = metrics["failed_step"]
    assert (step["round"], step["phase"], step["sent"], step["results"], step["failures"], step["minimum"]) == (
        1, "train", 2, 0, 2, 2)
    assert metrics["replies"] == [step]
    for node_id, node_dir in zip((1000, 1001), dirs):
        expected = ("FileNotFoundError: anomaly detection: no tabular.csv in this node's data directory %s "
                    "(node config data-dir)" % node_dir)
        assert {"node_id": node_id, "code": 0, "reason": expected} in step["errors"]
        assert "node %d: %s" % (node_id, expected) in str(error)
    assert str(error).startswith("round 1 train: 0 results and 2 failures from 2 nodes, fewer than the minimum of 2")
    assert metrics["error"] == str(error)


def test_one_node_of_two_failing_fails_the_run_too(tmp_path):
    error, metrics, dirs, _grid = run_anomaly(tmp_path, [True, False])
    assert error is not None
    step = metrics["failed_step"]
    assert (step["results"], step["failures"], step["minimum"]) == (1, 1, 2)
    assert [e["node_id"] for e in step["errors"]] == [1001] and str(dirs[1]) in step["errors"][0]["reason"]


def test_a_run_whose_nodes_all_answer_records_full_steps(tmp_path):
    error, metrics, _dirs, _grid = run_anomaly(tmp_path, [True, True])
    assert error is None
    assert [row["round"] for row in metrics["rounds"]] == [1, 2]
    assert [(s["round"], s["phase"], s["results"], s["failures"]) for s in metrics["replies"]] == [
        (1, "train", 2, 0), (1, "evaluate", 2, 0), (2, "train", 2, 0), (2, "evaluate", 2, 0)]


def test_flower_error_reasons_read_as_type_and_message():
    assert rounds.reason("<class 'FileNotFoundError'>:<'no tabular.csv in /d'>") == "FileNotFoundError: no tabular.csv in /d"
    assert rounds.reason("<class 'torch.cuda.OutOfMemoryError'>:<'CUDA out of memory'>") == (
        "OutOfMemoryError: CUDA out of memory")
    assert rounds.reason("Error: Node unavailable") == "Error: Node unavailable"


def test_every_app_carries_the_same_rounds_module():
    copies = {name: (APPS / name / name / "rounds.py").read_bytes() for name in APP_NAMES}
    assert len(set(copies.values())) == 1, "apps/*/*/rounds.py differ: change them together"


@pytest.mark.parametrize("name", APP_NAMES)
def test_every_server_app_wraps_its_grid(name):
    source = (APPS / name / name / "server_app.py").read_text()
    assert "rounds.RecordingGrid(grid" in source and "rounds.write_failure(" in source

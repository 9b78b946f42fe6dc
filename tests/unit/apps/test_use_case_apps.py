"""The use-case apps' framework-free parts: data from a node's directory, anomaly counts and scores, the
rounds-to-target report, the framework choice (no heavy framework needed)."""

import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

APPS = Path(__file__).resolve().parents[3] / "apps"
for app in ("anomaly_detection", "image_classification", "llm_finetune"):
    sys.path.insert(0, str(APPS / app))

from anomaly_detection import data as tabular  # noqa: E402  pylint: disable=wrong-import-position
from anomaly_detection import frameworks, report  # noqa: E402  pylint: disable=wrong-import-position
from image_classification import data as images  # noqa: E402  pylint: disable=wrong-import-position
from llm_finetune import text, tiny_model  # noqa: E402  pylint: disable=wrong-import-position


def test_synthetic_csv_round_trips_and_trains_only_on_normal_rows(tmp_path):
    path = tabular.write_synthetic(tmp_path / "tabular.csv", 1000, features=6, anomaly_rate=0.1, seed=3)
    x, y = tabular.read_csv(path)
    assert x.shape == (1000, 6) and set(np.unique(y)) == {0, 1} and 50 < y.sum() < 150
    x_train, x_test, y_test = tabular.load(tmp_path, "tabular.csv")
    assert len(x_train) == int(700 - y[:700].sum()) and len(x_test) == len(y_test) == 300


def test_missing_data_names_the_node_data_directory(tmp_path):
    with pytest.raises(FileNotFoundError, match="no tabular.csv in this node's data directory %s" % tmp_path):
        tabular.load(tmp_path, "tabular.csv")
    with pytest.raises(FileNotFoundError, match="neither images.npz nor images/"):
        images.load(tmp_path)
    with pytest.raises(FileNotFoundError, match="no corpus.txt"):
        text.load(tmp_path, "corpus.txt")


def test_counts_and_scores_on_anomalies():
    errors = np.array([0.1, 0.9, 0.8, 0.2, 0.7])
    labels = np.array([0, 1, 0, 0, 1])
    assert tabular.counts(errors, 0.5, labels) == (2, 1, 0)
    precision, recall, f1 = tabular.scores(2, 1, 0)
    assert (round(precision, 4), recall, round(f1, 4)) == (0.6667, 1.0, 0.8)
    assert tabular.scores(0, 0, 3) == (0.0, 0.0, 0.0)


def test_demo_image_shards_are_disjoint_and_checked_for_size(tmp_path):
    for part in range(2):
        images.write_demo_shard(tmp_path / str(part), part, 2)
    shards = [images.load(tmp_path / str(part)) for part in range(2)]
    assert sum(len(s[0]) + len(s[2]) for s in shards) == 1797
    assert shards[0][0].shape[1:] == (8, 8) and 0.0 <= shards[0][0].min() and shards[0][0].max() <= 1.0
    with pytest.raises(ValueError, match="run config image-size=16 wants 16x16"):
        images.load(tmp_path / "0", size=16)


def test_corpus_lines_use_the_tiny_models_vocabulary(tmp_path):
    tiny_model.write_corpus(tmp_path / "corpus.txt", 50, seed=1)
    train, test = text.load(tmp_path, "corpus.txt")
    assert (len(train), len(test)) == (40, 10)
    vocabulary = set(tiny_model.vocabulary())
    assert all(word in vocabulary for line in train + test for word in line.split())


def test_rounds_to_target_and_model_bytes():
    rows = [{"round": 1, "f1": 0.5}, {"round": 2, "f1": 0.85}, {"round": 3, "f1": 0.9}]
    assert report.rounds_to_target(rows, "f1", 0.8, "max") == 2
    assert report.rounds_to_target(rows, "f1", 0.95, "max") is None
    assert report.rounds_to_target([{"round": 1, "eval_loss": 3.0}, {"round": 2, "eval_loss": 2.4}],
                                   "eval_loss", 2.5, "min") == 2
    arrays = SimpleNamespace(to_numpy_ndarrays=lambda: [np.zeros((4, 4), np.float32), np.zeros(3, np.float64)])
    assert report.model_bytes(arrays) == 4 * 4 * 4 + 3 * 8


def test_an_unknown_framework_is_refused_with_the_allowed_ones():
    with pytest.raises(ValueError, match="framework='keras' is not supported; allowed: sklearn, pytorch"):
        frameworks.model_module("keras")
    assert frameworks.model_module("sklearn").__name__ == "anomaly_detection.sklearn_model"


def test_a_node_refuses_a_run_of_another_framework_than_its_own():
    # node config framework is what the SuperNode appliance sets from ONEAPP_FL_FRAMEWORK.
    with pytest.raises(ValueError, match="run config framework='pytorch', but this SuperNode trains with 'sklearn'"):
        frameworks.node_module("pytorch", {"framework": "sklearn"})
    assert frameworks.node_module("sklearn", {"framework": "sklearn"}).__name__ == "anomaly_detection.sklearn_model"
    # A node that declares none (not an appliance) trains with what the run asks.
    assert frameworks.node_module("sklearn", {}).__name__ == "anomaly_detection.sklearn_model"


def test_every_use_case_app_carries_the_same_report_module():
    copies = {app: (APPS / app / app / "report.py").read_bytes()
              for app in ("anomaly_detection", "image_classification", "llm_finetune")}
    assert len(set(copies.values())) == 1, "apps/*/*/report.py differ: change them together"

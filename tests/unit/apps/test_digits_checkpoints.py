"""Checkpoints: format, pruning, integrity, and resume of a run in process."""

import json
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))
import inprocess  # noqa: E402  pylint: disable=wrong-import-position

from digits import checkpoint  # noqa: E402  pylint: disable=wrong-import-position


def _arrays(value):
    return {"coef": np.full((10, 64), value), "intercept": np.full(10, value)}


def test_save_writes_npz_and_provenance_and_keeps_the_last_k(tmp_path):
    for rnd in range(1, 6):
        checkpoint.save(tmp_path, 7, rnd, _arrays(rnd), {"strategy": "FedAvg", "metrics": {"eval_accuracy": rnd / 10}},
                        keep=2)
    names = sorted(p.name for p in (tmp_path / "7").iterdir())
    assert names == ["round-00004.json", "round-00004.npz", "round-00005.json", "round-00005.npz"]
    meta = json.loads((tmp_path / "7/round-00005.json").read_text())
    assert meta["round"] == 5 and meta["run_id"] == 7 and meta["strategy"] == "FedAvg"
    assert meta["sha256"] == checkpoint.sha256(tmp_path / "7/round-00005.npz")
    assert meta["arrays"] == {"coef": [10, 64], "intercept": [10]}
    loaded, arrays, state = checkpoint.load(tmp_path / "7/round-00005.json")
    assert loaded["metrics"]["eval_accuracy"] == 0.5 and state == {}
    assert np.array_equal(arrays["coef"], np.full((10, 64), 5))


def test_latest_is_over_all_runs_and_resolve_accepts_every_reference(tmp_path):
    checkpoint.save(tmp_path, 1, 4, _arrays(1), {}, keep=3)
    newest = checkpoint.save(tmp_path, 2, 2, _arrays(2), {}, keep=3)
    assert checkpoint.resolve("latest", tmp_path) == newest
    assert checkpoint.resolve(str(tmp_path / "1"), tmp_path).name == "round-00004.json"
    assert checkpoint.resolve(str(tmp_path / "2/round-00002.npz"), tmp_path) == newest
    with pytest.raises(checkpoint.CheckpointError, match="no such checkpoint"):
        checkpoint.resolve(str(tmp_path / "nope.json"), tmp_path)
    with pytest.raises(checkpoint.CheckpointError, match="resume-from=latest: no checkpoint under"):
        checkpoint.resolve("latest", tmp_path / "empty")


def test_a_replaced_model_file_is_refused(tmp_path):
    meta = checkpoint.save(tmp_path, 3, 1, _arrays(1), {}, keep=1)
    np.savez(tmp_path / "3/round-00001.npz", **_arrays(9))
    with pytest.raises(checkpoint.CheckpointError, match="sha256 .* does not match"):
        checkpoint.load(meta)


def test_optimizer_state_is_kept_with_the_checkpoint(tmp_path):
    meta = checkpoint.save(tmp_path, 4, 1, _arrays(1), {}, keep=1, state={"m_t/0": np.ones(3)})
    assert checkpoint.load(meta)[2]["m_t/0"].tolist() == [1.0, 1.0, 1.0]
    checkpoint.save(tmp_path, 4, 2, _arrays(2), {}, keep=1)
    assert not (tmp_path / "4/round-00001.state.npz").exists()


def test_run_writes_checkpoints_best_and_final_with_provenance(tmp_path):
    metrics, out = inprocess.run_server({"num-server-rounds": 4, "checkpoint-interval": 2, "checkpoint-keep": 1},
                                        inprocess.nodes(2), tmp_path)
    ckpt_dir = tmp_path / "checkpoints" / str(inprocess.RUN_ID)
    assert sorted(p.name for p in ckpt_dir.glob("*.json")) == ["round-00004.json"]  # 2 and 4 written, 1 kept
    meta = json.loads((ckpt_dir / "round-00004.json").read_text())
    assert meta["strategy"] == "FedAvg" and meta["fab_hash"] == "0" * 64 and meta["flower_version"]
    assert meta["metrics"]["eval_accuracy"] == metrics["rounds"][-1]["eval_accuracy"]
    final = json.loads((out / "model.json").read_text())
    best = json.loads((out / "best-model.json").read_text())
    assert final["sha256"] == checkpoint.sha256(out / "model.npz") == meta["sha256"]
    assert best["metrics"]["eval_accuracy"] == max(r["eval_accuracy"] for r in metrics["rounds"])
    assert metrics["best_round"] == best["round"]


@pytest.mark.parametrize("strategy", ["FedAvg", "FedAdam"])
def test_resume_finishes_the_remaining_rounds_like_an_uninterrupted_run(strategy, tmp_path):
    full, _unused = inprocess.run_server({"strategy": strategy, "num-server-rounds": 5}, inprocess.nodes(2),
                                         tmp_path / "full")
    # The "crashed" run: rounds 1-2 only, checkpointed; then a new run resumes from the latest checkpoint.
    ckpts = str(tmp_path / "ckpt")
    inprocess.run_server({"strategy": strategy, "num-server-rounds": 2, "checkpoint-dir": ckpts},
                         inprocess.nodes(2), tmp_path / "first")
    resumed, out = inprocess.run_server({"strategy": strategy, "num-server-rounds": 5, "checkpoint-dir": ckpts,
                                         "resume-from": "latest", "output-dir": str(tmp_path / "second")},
                                        inprocess.nodes(2), tmp_path / "second")
    assert resumed["first_round"] == 3 and resumed["resumed_from"]["round"] == 2
    assert [r["round"] for r in resumed["rounds"]] == [3, 4, 5]
    assert resumed["rounds"][-1]["eval_accuracy"] == pytest.approx(full["rounds"][-1]["eval_accuracy"], abs=1e-9)
    full_model = np.load(tmp_path / "full/runs" / str(inprocess.RUN_ID) / "model.npz")
    resumed_model = np.load(out / "model.npz")
    assert np.allclose(full_model["coef"], resumed_model["coef"], atol=1e-8)


def test_resume_past_the_last_round_is_an_error(tmp_path):
    ckpts = str(tmp_path / "ckpt")
    inprocess.run_server({"num-server-rounds": 2, "checkpoint-dir": ckpts}, inprocess.nodes(2), tmp_path / "a")
    with pytest.raises(ValueError, match="is at round 2, num-server-rounds=2 leaves nothing to run"):
        inprocess.run_server({"num-server-rounds": 2, "checkpoint-dir": ckpts, "resume-from": "latest",
                              "output-dir": str(tmp_path / "b")}, inprocess.nodes(2), tmp_path / "b")

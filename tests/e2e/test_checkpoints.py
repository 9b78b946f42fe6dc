"""End to end: checkpoints survive a SuperLink crash, a new run resumes them through train.yml, export.yml copies
the final and best models with their provenance. On the e2e tier's shared `training` federation
(tests/e2e/conftest.py: 3 SuperNodes, TLS + node auth), after its other tests, since these kill its SuperLink."""

import hashlib
import json
import os
import signal
import subprocess
import time

import pytest


pytestmark = [pytest.mark.e2e, pytest.mark.restarts_superlink]

ROUNDS = 5
KILL_AFTER = 2
# Every SuperNode in every run (train.yml sets min-nodes to them all), so that the runs compare.
NODES = 3
# Resumed vs uninterrupted final federated accuracy, absolute. Training is deterministic (L-BFGS from the same
# arrays on the same shards), so the two agree up to the order in which replies are summed.
TOLERANCE = 0.01

MEASURED = {}


@pytest.fixture(scope="module")
def federation(training):
    yield training
    print("\nmeasured: %s" % json.dumps(MEASURED, indent=1, sort_keys=True))


def supervisorctl(fed, *args):
    return subprocess.run([str(fed.venv / "bin/supervisorctl"), "-c", str(fed.root / "supervisor/supervisord.conf")]
                          + list(args), capture_output=True, text=True, check=False).stdout.strip()


def wait_for(predicate, timeout, interval=0.2):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    return None


@pytest.fixture(scope="module")
def resumed(federation):
    """Uninterrupted 5-round run; a 5-round run whose SuperLink is killed after round 2; its resume via train.yml."""
    started = time.time()
    full = federation.submit({"num-server-rounds": ROUNDS, "min-nodes": NODES,
                              "checkpoint-dir": str(federation.superlink_home / "ckpt-full")})
    assert federation.wait([full])[full] == "finished:completed"
    MEASURED["uninterrupted_s"] = round(time.time() - started, 1)

    crashed = federation.submit({"num-server-rounds": ROUNDS, "min-nodes": NODES, "checkpoint-keep": 5})
    ckpt_dir = federation.superlink_home / "checkpoints/digits" / str(crashed)
    assert wait_for((ckpt_dir / ("round-%05d.json" % KILL_AFTER)).is_file, timeout=300), ckpt_dir
    pid = int(supervisorctl(federation, "pid", "flower-superlink"))
    os.kill(pid, signal.SIGKILL)  # supervisord starts it again (autorestart), on the same state database
    rounds_at_kill = sorted(p.name for p in ckpt_dir.glob("round-*.json"))
    MEASURED["checkpoints_at_kill"] = rounds_at_kill
    restarted = wait_for(lambda: (p := supervisorctl(federation, "pid", "flower-superlink")).isdigit()
                         and int(p) != pid and p, timeout=60)
    assert restarted, "the SuperLink did not come back"
    # Flower marks the run that was in flight as failed; it is not resumed by Flower itself.
    status = wait_for(lambda: (s := federation.run_status(crashed)).startswith("finished") and s, timeout=240,
                      interval=3)
    MEASURED["crashed_run_status"] = status
    assert not (federation.run_dir(crashed) / "model.npz").exists()

    started = time.time()
    proc = federation.playbook("site.yml", "-e", "flower_train_resume=true", "-e", "flower_train_force=true",
                               "-e", json.dumps({"flower_train_run_config": {"num-server-rounds": ROUNDS}}))
    MEASURED["resume_playbook_s"] = round(time.time() - started, 1)
    run_id = json.loads((federation.superlink_home / "last-run.json").read_text())["run_id"]
    return dict(full=full, crashed=crashed, status=status, rounds_at_kill=rounds_at_kill, resumed=run_id,
                stdout=proc.stdout)


def test_crashed_run_is_failed_and_kept_its_checkpoints(resumed):
    assert resumed["status"] == "finished:failed"
    assert "round-%05d.json" % KILL_AFTER in resumed["rounds_at_kill"]
    assert "round-%05d.json" % ROUNDS not in resumed["rounds_at_kill"]


def test_resume_finishes_the_remaining_rounds_and_matches_an_uninterrupted_run(federation, resumed):
    metrics = federation.metrics(resumed["resumed"])
    last_checkpoint = int(resumed["rounds_at_kill"][-1][len("round-"):-len(".json")])
    assert metrics["resumed_from"]["run_id"] == resumed["crashed"]
    assert metrics["resumed_from"]["round"] == last_checkpoint
    assert [row["round"] for row in metrics["rounds"]] == list(range(last_checkpoint + 1, ROUNDS + 1))
    full = federation.metrics(resumed["full"])
    MEASURED["uninterrupted_final_eval_accuracy"] = full["rounds"][-1]["eval_accuracy"]
    MEASURED["resumed_final_eval_accuracy"] = metrics["rounds"][-1]["eval_accuracy"]
    assert metrics["rounds"][-1]["eval_accuracy"] == pytest.approx(full["rounds"][-1]["eval_accuracy"], abs=TOLERANCE)
    assert metrics["rounds"][-1]["eval_accuracy"] >= 0.9
    assert "resumed from round %d of run %d" % (last_checkpoint, resumed["crashed"]) in resumed["stdout"]


def test_checkpoints_carry_provenance_and_only_the_last_k_are_kept(federation, resumed):
    ckpt_dir = federation.superlink_home / "checkpoints/digits" / str(resumed["resumed"])
    names = sorted(p.name for p in ckpt_dir.glob("round-*.json"))
    assert names == ["round-00003.json", "round-00004.json", "round-00005.json"]  # checkpoint-keep = 3
    meta = json.loads((ckpt_dir / "round-00005.json").read_text())
    assert meta["sha256"] == hashlib.sha256((ckpt_dir / "round-00005.npz").read_bytes()).hexdigest()
    assert meta["flower_version"] == "1.42.0" and meta["strategy"] == "FedAvg" and len(meta["fab_hash"]) == 64
    assert meta["run_id"] == resumed["resumed"] and meta["round"] == 5 and "eval_accuracy" in meta["metrics"]


def test_export_copies_final_and_best_models_with_provenance(federation, resumed, tmp_path):
    dest = tmp_path / "models"
    federation.playbook("playbooks/export.yml", "-e", "flower_export_dest=%s" % dest)
    run_dir = dest / str(resumed["resumed"])
    assert sorted(p.name for p in run_dir.iterdir()) == [
        "best-model.json", "best-model.npz", "metrics.json", "model.json", "model.npz"]
    for name in ("model", "best-model"):
        meta = json.loads((run_dir / (name + ".json")).read_text())
        assert meta["sha256"] == hashlib.sha256((run_dir / (name + ".npz")).read_bytes()).hexdigest()
        assert meta["resumed_from"]["run_id"] == resumed["crashed"] and meta["fab_hash"]
    metrics = json.loads((run_dir / "metrics.json").read_text())
    best = json.loads((run_dir / "best-model.json").read_text())
    assert best["metrics"]["eval_accuracy"] == max(row["eval_accuracy"] for row in metrics["rounds"])
    accuracy = federation.model_accuracy(run_dir / "model.npz")
    MEASURED["exported_model_accuracy_full_test_set"] = accuracy
    assert accuracy >= 0.9


def test_export_refuses_a_relative_destination(federation):
    proc = federation.playbook("playbooks/export.yml", "-e", "flower_export_dest=models", check=False)
    assert proc.returncode != 0
    assert 'flower_export_dest="models" must be an absolute directory' in " ".join(proc.stdout.split())

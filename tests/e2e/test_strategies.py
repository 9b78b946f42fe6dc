"""End to end: every strategy on a real local federation (3 SuperNodes, TLS + node auth), poisoning, DP switches.

The e2e tier's shared `training` federation (tests/e2e/conftest.py) serves every run. Its SuperNode 3 poisons its
updates only in runs whose run config sets `test-attacks=true`, so the other runs are clean. Runs are submitted
with `flwr run` a few at a time; the playbook path (train.yml's checks) is tested with bad input here and with a
successful resume in test_checkpoints.py.
"""

import json
import time

import pytest

from tests.e2e.federation import REPO

pytestmark = pytest.mark.e2e

BATCH = 4  # concurrent runs; 2 cores
STRATEGIES = ("FedAvg", "FedProx", "FedAdam", "FedYogi", "FedAdagrad", "FedAvgM", "FedMedian", "Krum", "MultiKrum",
              "Bulyan", "FedTrimmedAvg", "QFedAvg")
# Federated eval accuracy after 2 rounds, at least. Measured on this set-up (3 SuperNodes, 3 shards): 0.93-0.95 for
# the averaging and robust strategies; the server-side adaptive optimizers (Flower's default eta, 2 rounds)
# stay near 0.79 and QFedAvg near 0.94.
MIN_ACCURACY = dict({name: 0.85 for name in STRATEGIES}, FedAdam=0.7, FedYogi=0.7, FedAdagrad=0.7)
# With one of 3 SuperNodes sending sign-flipped x10 updates: FedAvg falls to chance or below, robust ones hold.
POISONED_FEDAVG_MAX = 0.5
POISONED_ROBUST_MIN = 0.85

MEASURED = {}


@pytest.fixture(scope="module")
def federation(training):
    MEASURED["deploy_s"] = training.deploy_s
    yield training
    print("\nmeasured: %s" % json.dumps(MEASURED, indent=1, sort_keys=True))


def run_all(fed, configs):
    """Submit the runs BATCH at a time, wait for them; return {label: (run id, status)}."""
    results = {}
    items = list(configs.items())
    for start in range(0, len(items), BATCH):
        batch = {label: fed.submit(dict(config, **{"min-nodes": 3})) for label, config in items[start:start + BATCH]}
        statuses = fed.wait(batch.values(), timeout=600)
        results.update({label: (run_id, statuses[run_id]) for label, run_id in batch.items()})
    return results


def final_accuracy(fed, run_id):
    return fed.metrics(run_id)["rounds"][-1]["eval_accuracy"]


def test_every_strategy_completes_two_rounds(federation):
    started = time.time()
    results = run_all(federation, {name: {"strategy": name, "num-server-rounds": 2} for name in STRATEGIES})
    MEASURED["strategies_s"] = round(time.time() - started, 1)
    failed = {name: (run_id, status, federation.run_log(run_id)[-3000:])
              for name, (run_id, status) in results.items() if status != "finished:completed"}
    assert not failed, failed
    accuracy = {}
    for name, (run_id, _status) in results.items():
        metrics = federation.metrics(run_id)
        assert metrics["strategy"] == name
        assert [row["round"] for row in metrics["rounds"]] == [1, 2]
        accuracy[name] = round(final_accuracy(federation, run_id), 4)
    MEASURED["accuracy_after_2_rounds"] = accuracy
    assert all(accuracy[name] >= MIN_ACCURACY[name] for name in STRATEGIES), accuracy
    # FedProx: every ClientApp applied the proximal term. Flower aggregates only when all replies carry the same
    # metric keys, so a proximal_mu of exactly the configured value means each node trained with it.
    prox = federation.metrics(results["FedProx"][0])["rounds"]
    assert all(row["proximal_mu"] == pytest.approx(0.01) and row["proximal_distance"] > 0 for row in prox), prox


def test_robust_strategies_keep_accuracy_when_one_node_poisons(federation):
    started = time.time()
    attacked = {"test-attacks": True, "num-server-rounds": 2}
    results = run_all(federation, {
        "FedAvg": dict(attacked, strategy="FedAvg"),
        "FedMedian": dict(attacked, strategy="FedMedian"),
        "Krum": dict(attacked, strategy="Krum"),
    })
    MEASURED["poisoning_s"] = round(time.time() - started, 1)
    assert all(status == "finished:completed" for _run, status in results.values()), results
    federated = {name: round(final_accuracy(federation, run_id), 4) for name, (run_id, _s) in results.items()}
    standalone = {name: round(federation.model_accuracy(federation.run_dir(run_id) / "model.npz"), 4) for name, (run_id, _s) in results.items()}
    MEASURED["poisoned_eval_accuracy"] = federated
    MEASURED["poisoned_model_accuracy_full_test_set"] = standalone
    # The attack really ran: a third of the training examples came from the poisoning node.
    poisoned = federation.metrics(results["FedAvg"][0])["rounds"][-1]["poisoned"]
    assert 0.3 < poisoned < 0.4, poisoned
    assert federated["FedAvg"] <= POISONED_FEDAVG_MAX and standalone["FedAvg"] <= POISONED_FEDAVG_MAX, standalone
    for name in ("FedMedian", "Krum"):
        assert federated[name] >= POISONED_ROBUST_MIN and standalone[name] >= POISONED_ROBUST_MIN, (name, standalone)


def test_differential_privacy_switches_train(federation):
    results = run_all(federation, {
        mode: {"strategy": "FedAvg", "num-server-rounds": 2, "dp": mode, "dp-clipping-norm": 10.0,
               "dp-noise-multiplier": 0.1}
        for mode in ("server-fixed", "client-fixed")})
    assert all(status == "finished:completed" for _run, status in results.values()), results
    accuracy = {mode: round(final_accuracy(federation, run_id), 4) for mode, (run_id, _s) in results.items()}
    MEASURED["dp_accuracy_after_2_rounds"] = accuracy
    assert all(value >= 0.6 for value in accuracy.values()), accuracy
    log = federation.run_log(results["server-fixed"][0])
    assert "DifferentialPrivacyServerSideFixedClipping" in log or "clipping" in log.lower(), log[-2000:]


def test_unknown_strategy_fails_the_run_instead_of_falling_back(federation):
    run_id = federation.submit({"strategy": "FedAvgX", "num-server-rounds": 2})
    assert federation.wait([run_id], timeout=300)[run_id] == "finished:failed"
    log = federation.run_log(run_id)
    assert "strategy='FedAvgX' is not a supported strategy; allowed: FedAvg, FedProx" in log, log[-3000:]
    assert not federation.run_dir(run_id).exists()


@pytest.mark.parametrize("extra, message", [
    (["-e", "flower_train_strategy=FedAvgX"],
     "flower_train_strategy='FedAvgX' is not a supported strategy; allowed: FedAvg, FedProx"),
    (["-e", "flower_train_strategy=Krum", "-e", '{"flower_train_strategy_options": {"num-malicious-nodes": 1}}'],
     "needs min-nodes >= 2f+3 = 5"),
    (["-e", "flower_train_strategy=FedTrimmedAvg", "-e", '{"flower_train_strategy_options": {"trim-beta": 0.5}}'],
     "flower_train_strategy_options[trim-beta]=0.5 must be in (0, 0.5)"),
    (["-e", '{"flower_train_run_config": {"min-nodes": 4}}'],
     "flower_train_run_config[min-nodes]=4 is more than the 3 SuperNodes available; allowed: 1..3"),
    (["-e", '{"flower_train_run_config": {"learning-rate": 0.1}}'],
     "flower_train_run_config[learning-rate]=0.1 is not a run-config key of this app; allowed: checkpoint-dir, "),
], ids=["unknown", "krum-bound", "trim-beta", "min-nodes", "undeclared-key"])
def test_train_playbook_refuses_bad_input_before_submitting(federation, extra, message, tmp_path):
    before = len(federation.flwr("ls")["runs"])
    # preflight adds the SuperNodes to the inventory; train.yml then checks before it needs the SuperLink.
    playbook = tmp_path / "check-training.yml"
    playbook.write_text("- ansible.builtin.import_playbook: %s/playbooks/preflight.yml\n"
                        "- ansible.builtin.import_playbook: %s/playbooks/train.yml\n" % (REPO, REPO))
    proc = federation.playbook(str(playbook), *extra, check=False)
    assert proc.returncode != 0
    assert message in " ".join(proc.stdout.split()), proc.stdout[-3000:]
    assert len(federation.flwr("ls")["runs"]) == before

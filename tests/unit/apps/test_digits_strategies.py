"""The digits app's strategy rules, factory, FedProx objective, and whole runs in process (no federation)."""

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))
import inprocess  # noqa: E402  pylint: disable=wrong-import-position

from digits import strategies, task  # noqa: E402  pylint: disable=wrong-import-position


def run_config(**overrides):
    """The run config Flower hands the ServerApp: the app's pyproject.toml defaults under the run's overrides."""
    return {**inprocess.app_defaults(), **overrides}


def test_the_apps_own_defaults_are_a_valid_run():
    assert strategies.validate(run_config(), available_nodes=2)["strategy"] == "FedAvg"


@pytest.mark.parametrize("config, nodes, message", [
    ({"strategy": "FedAvgX"}, 3,
     "strategy='FedAvgX' is not a supported strategy; allowed: FedAvg, FedProx, FedAdam, FedYogi, FedAdagrad, "
     "FedAvgM, FedMedian, Krum, MultiKrum, Bulyan, FedTrimmedAvg, QFedAvg"),
    ({"strategy": "fedavg"}, 3, "strategy='fedavg' is not a supported strategy"),
    ({"strategy": "Krum", "min-nodes": 4, "num-malicious-nodes": 1}, 4,
     "strategy=Krum with num-malicious-nodes=1 (f) needs min-nodes >= 2f+3 = 5, but min-nodes=4"),
    ({"strategy": "MultiKrum", "min-nodes": 5, "num-malicious-nodes": 1, "multikrum-select": 5}, 5,
     "multikrum-select=5 must be in 1..min-nodes-num-malicious-nodes = 1..4"),
    ({"strategy": "Bulyan", "min-nodes": 6, "num-malicious-nodes": 1}, 6,
     "strategy=Bulyan with num-malicious-nodes=1 (f) needs min-nodes >= 4f+3 = 7, but min-nodes=6"),
    ({"strategy": "FedTrimmedAvg", "trim-beta": 0.5}, 3, "trim-beta=0.5 must be in (0, 0.5)"),
    ({"strategy": "FedTrimmedAvg", "trim-beta": 0.0}, 3, "trim-beta=0.0 must be in (0, 0.5)"),
    ({"strategy": "FedProx", "proximal-mu": 0.0}, 3, "strategy=FedProx needs proximal-mu > 0 (0 would make it FedAvg), but proximal-mu=0.0"),
    ({"min-nodes": 4}, 3, "min-nodes=4 is more than the 3 SuperNodes available; allowed: 1..3"),
    ({"fraction-train": 0.0}, 3, "fraction-train=0.0 must be in (0, 1]"),
    ({"strategy": "FedAvgM", "server-momentum": 1.0}, 3, "server-momentum=1.0 must be in [0, 1)"),
    ({"strategy": "QFedAvg", "client-lr": 0.0}, 3, "strategy=QFedAvg needs client-lr > 0 (QFedAvg steps with it), but client-lr=0.0"),
    ({"dp": "local"}, 3, "dp='local' is not a DP mode; allowed: none, server-fixed, client-fixed, server-adaptive"),
    ({"dp": "server-fixed", "dp-clipping-norm": 0.0}, 3, "dp-clipping-norm=0.0 must be > 0"),
    ({"dp": "server-adaptive", "dp-target-quantile": 1.0}, 3, "dp-target-quantile=1.0 must be in (0, 1)"),
    ({"dp": "server-adaptive", "dp-clip-norm-lr": 0}, 3, "dp-clip-norm-lr=0.0 must be > 0"),
    ({"secagg": True}, 3, "SecAgg+ is not available with Flower's Message-API strategies"),
    ({"trim-beta": "abc"}, 3, "trim-beta='abc' is not a number"),
    ({"min-nodes": 2.5}, 3, "min-nodes=2.5 is not an integer"),
    ({"secagg": "maybe"}, 3, "secagg='maybe' is not a boolean; allowed: true, false"),
])
def test_rules_name_key_value_and_allowed(config, nodes, message):
    with pytest.raises(strategies.ConfigError) as err:
        strategies.validate(run_config(**config), available_nodes=nodes)
    assert message in str(err.value)


def test_every_broken_rule_is_reported_at_once():
    with pytest.raises(strategies.ConfigError) as err:
        strategies.validate(run_config(**{"strategy": "Bulyan", "min-nodes": 5, "num-malicious-nodes": 1, "dp": "x"}),
                            4)
    assert "min-nodes=5 is more than the 4" in str(err.value)
    assert "4f+3 = 7" in str(err.value)
    assert "dp='x'" in str(err.value)


@pytest.mark.parametrize("config, nodes", [
    ({"strategy": "Krum", "min-nodes": 5, "num-malicious-nodes": 1}, 5),
    ({"strategy": "Krum", "min-nodes": 3}, 3),
    ({"strategy": "Bulyan", "min-nodes": 7, "num-malicious-nodes": 1}, 7),
    ({"strategy": "FedTrimmedAvg", "trim-beta": 0.49}, 3),
    ({"strategy": "MultiKrum", "min-nodes": 5, "num-malicious-nodes": 1, "multikrum-select": 4}, 5),
    ({"strategy": "FedAvg", "min-nodes": "3", "fraction-train": "0.5"}, 3),  # strings from an operator
])
def test_valid_boundaries_pass(config, nodes):
    assert strategies.validate(run_config(**config), available_nodes=nodes)["strategy"] == config["strategy"]


def test_validation_without_a_node_count_skips_only_that_rule():
    assert strategies.validate(run_config(**{"min-nodes": 50}))["min_nodes"] == 50


@pytest.mark.parametrize("name, attrs", [
    ("FedAvg", {}),
    ("FedProx", {"proximal_mu": 0.01}),
    ("FedAdam", {"eta": 0.1}),
    ("FedYogi", {"eta": 0.01}),
    ("FedAdagrad", {"eta": 0.1}),
    ("FedAvgM", {"server_momentum": 0.9, "server_learning_rate": 1.0}),
    ("FedMedian", {}),
    ("Krum", {"num_malicious_nodes": 0}),
    ("MultiKrum", {"num_malicious_nodes": 0, "num_nodes_to_select": 2}),
    ("Bulyan", {"num_malicious_nodes": 0}),
    ("FedTrimmedAvg", {"beta": 0.2}),
    ("QFedAvg", {"q": 0.1, "client_learning_rate": 0.1}),
])
def test_factory_builds_flowers_message_api_strategy(name, attrs):
    from flwr.serverapp import strategy as flwr_strategies

    cfg = strategies.validate(run_config(**{"strategy": name, "min-nodes": 3}), available_nodes=3)
    built = strategies.build(cfg, 3)
    assert type(built) is getattr(flwr_strategies, name)  # pylint: disable=unidiomatic-typecheck
    assert built.min_train_nodes == built.min_available_nodes == 3
    for attr, value in attrs.items():
        assert getattr(built, attr) == pytest.approx(value), attr


def test_factory_passes_options_and_wraps_dp():
    from flwr.serverapp import strategy as flwr_strategies

    options = {"strategy": "FedAdam", "server-lr": 0.5, "server-tau": 0.01, "dp": "server-fixed",
               "dp-clipping-norm": 2.0, "dp-noise-multiplier": 0.3}
    cfg = strategies.validate(run_config(**options), available_nodes=2)
    built = strategies.build(cfg, 2)
    assert isinstance(built, flwr_strategies.DifferentialPrivacyServerSideFixedClipping)
    assert built.clipping_norm == 2.0 and built.noise_multiplier == 0.3 and built.num_sampled_clients == 2
    assert isinstance(built.strategy, flwr_strategies.FedAdam)
    assert built.strategy.eta == 0.5 and built.strategy.tau == 0.01
    client = strategies.build(strategies.validate(run_config(dp="client-fixed")), 2)
    assert isinstance(client, flwr_strategies.DifferentialPrivacyClientSideFixedClipping)
    adaptive = strategies.build(strategies.validate(run_config(**{
        "dp": "server-adaptive", "dp-clipping-norm": 1.5, "dp-target-quantile": 0.7, "dp-clip-norm-lr": 0.1})), 2)
    assert isinstance(adaptive, flwr_strategies.DifferentialPrivacyServerSideAdaptiveClipping)
    assert (adaptive.clipping_norm, adaptive.target_clipped_quantile, adaptive.clip_norm_lr) == (1.5, 0.7, 0.1)


def test_a_strategy_missing_from_the_release_is_an_error(monkeypatch):
    from flwr.serverapp import strategy as flwr_strategies

    monkeypatch.delattr(flwr_strategies, "Bulyan")
    with pytest.raises(strategies.ConfigError, match=r"strategy=Bulyan is not available in flwr 1\.\d+\.\d+"):
        strategies.build(strategies.validate(run_config(**{"strategy": "Bulyan", "min-nodes": 3})), 3)


def test_optimizer_state_round_trips():
    cfg = strategies.validate(run_config(strategy="FedAdam"))
    one, two = strategies.build(cfg, 2), strategies.build(cfg, 2)
    one.m_t = {"0": np.ones(3), "1": np.zeros(2)}
    one.v_t = {"0": np.full(3, 2.0), "1": np.ones(2)}
    strategies.restore_optimizer_state(two, strategies.optimizer_state(one))
    assert np.array_equal(two.m_t["0"], np.ones(3)) and np.array_equal(two.v_t["1"], np.ones(2))
    avgm = strategies.build(strategies.validate(run_config(strategy="FedAvgM")), 2)
    avgm.momentum_vector = [np.ones(2), np.zeros(1)]
    other = strategies.build(strategies.validate(run_config(strategy="FedAvgM")), 2)
    strategies.restore_optimizer_state(other, strategies.optimizer_state(avgm))
    assert [v.tolist() for v in other.momentum_vector] == [[1.0, 1.0], [0.0]]
    assert strategies.optimizer_state(strategies.build(strategies.validate(run_config()), 2)) == {}


# FedProx: the proximal term is in the objective the ClientApp minimises.

def _data():
    x_train, y_train, _x, _y = task.load_partition(0, 3)
    return x_train, y_train


def test_proximal_gradient_matches_finite_differences():
    x, y = _data()
    rng = np.random.default_rng(0)
    global_params = [rng.normal(size=(10, 64)) * 0.1, rng.normal(size=10) * 0.1]
    theta = rng.normal(size=650) * 0.1
    _loss, grad = task.proximal_objective(theta, x, y, global_params, mu=0.5)
    for i in (0, 17, 300, 645):
        step = np.zeros(650)
        step[i] = 1e-6
        numeric = (task.proximal_objective(theta + step, x, y, global_params, 0.5)[0]
                   - task.proximal_objective(theta - step, x, y, global_params, 0.5)[0]) / 2e-6
        assert numeric == pytest.approx(grad[i], rel=1e-4, abs=1e-7)


def test_proximal_term_keeps_the_local_model_near_the_global_one():
    x, y = _data()
    start = task.new_model()
    task.fit(start, x, y)  # a trained global model to start from
    global_params = [p.copy() for p in task.get_params(start)]
    distances = []
    for mu in (1e-6, 0.01, 0.1, 1.0):
        model = task.new_model()
        task.set_params(model, [p.copy() for p in global_params])
        distances.append(task.fit_proximal(model, x[::-1], y[::-1], mu))
    assert distances == sorted(distances, reverse=True)
    assert distances[-1] < 0.2 * distances[0]


def test_proximal_fit_without_the_term_is_scikit_learns_fit():
    x, y = _data()
    ours, theirs = task.new_model(), task.new_model()
    task.fit_proximal(ours, x, y, mu=1e-9)
    task.fit(theirs, x, y)
    assert task.evaluate(ours, x, y)[1] == pytest.approx(task.evaluate(theirs, x, y)[1], abs=0.01)


# Whole runs in process: the real ServerApp, strategies and ClientApp.

@pytest.mark.parametrize("name", strategies.STRATEGIES)
def test_every_strategy_trains_in_process(name, tmp_path):
    metrics, out = inprocess.run_server({"strategy": name, "num-server-rounds": 2, "min-nodes": 3},
                                        inprocess.nodes(3), tmp_path)
    assert metrics["strategy"] == name and [r["round"] for r in metrics["rounds"]] == [1, 2]
    assert metrics["rounds"][-1]["eval_accuracy"] >= (0.7 if name in ("FedAdam", "FedYogi", "FedAdagrad") else 0.85)
    assert (out / "model.npz").is_file() and (out / "best-model.npz").is_file()


def test_fedprox_clients_report_the_proximal_term(tmp_path):
    metrics, _out = inprocess.run_server({"strategy": "FedProx", "proximal-mu": 0.5, "num-server-rounds": 2,
                                          "min-nodes": 2}, inprocess.nodes(2), tmp_path)
    assert all(row["proximal_mu"] == pytest.approx(0.5) for row in metrics["rounds"])
    fedavg, _out = inprocess.run_server({"num-server-rounds": 2, "min-nodes": 2}, inprocess.nodes(2),
                                        tmp_path / "avg")
    assert "proximal_mu" not in fedavg["rounds"][-1]


@pytest.mark.parametrize("robust", [{"strategy": "FedMedian"}, {"strategy": "Krum"},
                                    {"strategy": "FedTrimmedAvg", "trim-beta": 0.34},
                                    {"strategy": "MultiKrum", "multikrum-select": 2}])
def test_poisoning_breaks_fedavg_and_not_robust_strategies(robust, tmp_path):
    attacked = {"num-server-rounds": 2, "min-nodes": 3, "test-attacks": True}
    fedavg, _unused = inprocess.run_server(dict(attacked, strategy="FedAvg"), inprocess.nodes(3, malicious=(2,)),
                                           tmp_path / "a")
    held, _unused = inprocess.run_server(dict(attacked, **robust), inprocess.nodes(3, malicious=(2,)), tmp_path / "r")
    assert fedavg["rounds"][-1]["eval_accuracy"] < 0.5 < 0.85 < held["rounds"][-1]["eval_accuracy"]


def test_malicious_node_is_honest_unless_the_run_arms_test_attacks(tmp_path):
    metrics, _unused = inprocess.run_server({"num-server-rounds": 2, "min-nodes": 3}, inprocess.nodes(3, malicious=(2,)),
                                            tmp_path)
    assert metrics["rounds"][-1]["poisoned"] == 0
    assert metrics["rounds"][-1]["eval_accuracy"] > 0.9


def test_dp_wrappers_train_in_process(tmp_path):
    for mode in ("server-fixed", "client-fixed", "server-adaptive"):
        metrics, _unused = inprocess.run_server({"dp": mode, "num-server-rounds": 2, "min-nodes": 3}, inprocess.nodes(3),
                                                tmp_path / mode)
        assert metrics["dp"] == mode and metrics["rounds"][-1]["eval_accuracy"] > 0.6


def test_bad_config_fails_before_any_message(tmp_path):
    with pytest.raises(strategies.ConfigError,
                       match="strategy=Krum with num-malicious-nodes=1 \\(f\\) needs min-nodes >= 2f\\+3"):
        inprocess.run_server({"strategy": "Krum", "num-malicious-nodes": 1, "min-nodes": 3}, inprocess.nodes(3),
                             tmp_path)
    assert not (tmp_path / "runs").exists()

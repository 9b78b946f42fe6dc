"""Flower's Message-API strategy (`flwr.serverapp.strategy`) for a run config, and the server-optimizer state a
resume carries.

The strategies, the run-config keys and the rules a run config must satisfy are the collection's training settings
(`training.py`, a link to plugins/module_utils/_training.py; docs/training.md): `flower_run` and the SuperLink
appliance check them before a run exists, and `validate()` here checks them again on the run config Flower hands
the ServerApp (the app's pyproject.toml defaults under the run's overrides), before round 1.
"""

from digits.training import DP_MODES, ROBUST, STRATEGIES, ConfigError, validate

# The app's strategy API: the settings' names and rules (from training.py) and the factory below.
__all__ = ["DP_MODES", "ROBUST", "STRATEGIES", "ConfigError", "validate", "build", "inner", "optimizer_state",
           "restore_optimizer_state"]


def build(cfg: dict, num_sampled: int):
    """Flower's Message-API strategy for validated settings, wrapped for DP when asked.

    `num_sampled` is the cohort size per round (the DP wrappers need it). A strategy this Flower release lacks is
    an error naming the release, not a fallback.
    """
    import flwr
    from flwr.serverapp import strategy as flwr_strategies

    name = cfg["strategy"]
    cls = getattr(flwr_strategies, name, None)
    if cls is None:
        raise ConfigError("strategy=%s is not available in flwr %s; allowed on this release: %s" % (
            name, flwr.__version__, ", ".join(s for s in STRATEGIES if hasattr(flwr_strategies, s))))
    common = dict(fraction_train=cfg["fraction_train"], fraction_evaluate=1.0, min_train_nodes=cfg["min_nodes"],
                  min_evaluate_nodes=cfg["min_nodes"], min_available_nodes=cfg["min_nodes"])
    extra = {}
    if name == "FedProx":
        extra = dict(proximal_mu=cfg["proximal_mu"])
    elif name in ("FedAdam", "FedYogi", "FedAdagrad"):
        if cfg["server_lr"] > 0:
            extra["eta"] = cfg["server_lr"]
        if cfg["server_tau"] > 0:
            extra["tau"] = cfg["server_tau"]
    elif name == "FedAvgM":
        extra = dict(server_momentum=cfg["server_momentum"])
        if cfg["server_lr"] > 0:
            extra["server_learning_rate"] = cfg["server_lr"]
    elif name in ("Krum", "Bulyan"):
        extra = dict(num_malicious_nodes=cfg["num_malicious"])
    elif name == "MultiKrum":
        extra = dict(num_malicious_nodes=cfg["num_malicious"], num_nodes_to_select=cfg["multikrum_select"])
    elif name == "FedTrimmedAvg":
        extra = dict(beta=cfg["trim_beta"])
    elif name == "QFedAvg":
        extra = dict(client_learning_rate=cfg["client_lr"], q=cfg["q"], train_loss_key="train_loss")
    strategy = cls(**common, **extra)
    if cfg["dp"] == "server-fixed":
        strategy = flwr_strategies.DifferentialPrivacyServerSideFixedClipping(
            strategy, noise_multiplier=cfg["dp_noise_multiplier"], clipping_norm=cfg["dp_clipping_norm"],
            num_sampled_clients=num_sampled)
    elif cfg["dp"] == "client-fixed":
        strategy = flwr_strategies.DifferentialPrivacyClientSideFixedClipping(
            strategy, noise_multiplier=cfg["dp_noise_multiplier"], clipping_norm=cfg["dp_clipping_norm"],
            num_sampled_clients=num_sampled)
    elif cfg["dp"] == "server-adaptive":
        strategy = flwr_strategies.DifferentialPrivacyServerSideAdaptiveClipping(
            strategy, noise_multiplier=cfg["dp_noise_multiplier"], num_sampled_clients=num_sampled,
            initial_clipping_norm=cfg["dp_clipping_norm"], target_clipped_quantile=cfg["dp_target_quantile"],
            clip_norm_lr=cfg["dp_clip_norm_lr"])
    return strategy


def inner(strategy):
    """The strategy a DP wrapper wraps (the strategy itself otherwise)."""
    return getattr(strategy, "strategy", strategy)


def optimizer_state(strategy) -> dict:
    """Server-optimizer state worth carrying across a resume (FedAdam/FedYogi/FedAdagrad moments, FedAvgM momentum).

    Flat {name: ndarray}; empty for stateless strategies.
    """
    import numpy as np

    base = inner(strategy)
    state = {}
    for attr in ("m_t", "v_t"):
        value = getattr(base, attr, None)
        if isinstance(value, dict):
            state.update({"%s/%s" % (attr, k): np.asarray(v) for k, v in value.items()})
    momentum = getattr(base, "momentum_vector", None)
    if momentum is not None:
        state.update({"momentum_vector/%d" % i: np.asarray(v) for i, v in enumerate(momentum)})
    return state


def restore_optimizer_state(strategy, state: dict) -> None:
    base = inner(strategy)
    for attr in ("m_t", "v_t"):
        values = {k.split("/", 1)[1]: v for k, v in state.items() if k.startswith(attr + "/")}
        if values and hasattr(base, attr):
            setattr(base, attr, values)
    momentum = sorted((int(k.split("/", 1)[1]), v) for k, v in state.items() if k.startswith("momentum_vector/"))
    if momentum and hasattr(base, "momentum_vector"):
        base.momentum_vector = [v for _i, v in momentum]

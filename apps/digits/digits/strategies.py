"""Strategy selection and the rules checked before a run starts.

Plain Python: `parse()` and `validate()` need neither Flower nor a federation, so the rules are unit-tested and the
ServerApp fails with one clear message (key, value, what is allowed) before the first round. `build()` turns a
valid configuration into one of Flower's Message-API strategies (`flwr.serverapp.strategy`).

Run-config keys (defaults in pyproject.toml):
  strategy             one of STRATEGIES; an unknown name is an error, never a silent FedAvg
  min-nodes            SuperNodes sampled at least per round (and waited for)
  fraction-train       fraction of the connected SuperNodes sampled per round (0 < x <= 1)
  proximal-mu          FedProx: weight of the proximal term mu/2 * ||w - w_global||^2 (> 0)
  server-lr            FedAdam/FedYogi/FedAdagrad eta, FedAvgM server learning rate (0 = Flower's default)
  server-momentum      FedAvgM momentum (0 <= x < 1)
  server-tau           FedAdam/FedYogi/FedAdagrad tau (0 = Flower's default)
  num-malicious-nodes  Krum/MultiKrum/Bulyan: f, the number of Byzantine nodes tolerated
  multikrum-select     MultiKrum: how many of the best-scored updates are averaged
  trim-beta            FedTrimmedAvg: fraction cut from each end per coordinate (0 < beta < 0.5)
  qfedavg-q, client-lr QFedAvg: fairness q (>= 0) and the clients' learning rate (> 0)
  dp                   none | server-fixed | client-fixed (Flower's fixed-clipping DP wrappers)
  dp-noise-multiplier, dp-clipping-norm
  secagg               must be false: SecAgg+ is not available with the Message-API strategies (docs/training.md)
"""

STRATEGIES = ("FedAvg", "FedProx", "FedAdam", "FedYogi", "FedAdagrad", "FedAvgM", "FedMedian", "Krum", "MultiKrum",
              "Bulyan", "FedTrimmedAvg", "QFedAvg")
DP_MODES = ("none", "server-fixed", "client-fixed")
ROBUST = ("FedMedian", "Krum", "MultiKrum", "Bulyan", "FedTrimmedAvg")

DEFAULTS = {
    "strategy": "FedAvg",
    "num-server-rounds": 3,
    "min-nodes": 2,
    "fraction-train": 1.0,
    "proximal-mu": 0.01,
    "server-lr": 0.0,
    "server-momentum": 0.9,
    "server-tau": 0.0,
    "num-malicious-nodes": 0,
    "multikrum-select": 2,
    "trim-beta": 0.2,
    "qfedavg-q": 0.1,
    "client-lr": 0.1,
    "dp": "none",
    "dp-noise-multiplier": 0.1,
    "dp-clipping-norm": 10.0,
    "secagg": False,
}

SECAGG_UNAVAILABLE = (
    "secagg=true: SecAgg+ is not available with Flower's Message-API strategies: Flower ships it only as "
    "flwr.server.workflow.SecAggPlusWorkflow, which needs the legacy ServerApp (LegacyContext, DefaultWorkflow, "
    "flwr.server.strategy) and a legacy FitRes reply from flwr.client.mod.secaggplus_mod; see docs/training.md"
)


class ConfigError(ValueError):
    """A run config that breaks a rule; the message names the key, its value and what is allowed."""


def _number(config, key, kind):
    value = config.get(key, DEFAULTS.get(key))
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        try:
            value = kind(str(value).strip())
        except ValueError:
            raise ConfigError("%s=%r is not a%s" % (key, value, "n integer" if kind is int else " number")) from None
    if kind is int and value != int(value):
        raise ConfigError("%s=%r is not an integer" % (key, value))
    return kind(value)


def _bool(config, key):
    value = config.get(key, DEFAULTS.get(key))
    if isinstance(value, bool):
        return value
    if str(value).strip().lower() in ("true", "1", "yes"):
        return True
    if str(value).strip().lower() in ("false", "0", "no", ""):
        return False
    raise ConfigError("%s=%r is not a boolean; allowed: true, false" % (key, value))


def parse(run_config) -> dict:
    """The strategy settings of a run config, typed; defaults for absent keys. Raises ConfigError on bad types."""
    config = dict(run_config)
    return {
        "strategy": str(config.get("strategy", DEFAULTS["strategy"])).strip(),
        "num_rounds": _number(config, "num-server-rounds", int),
        "min_nodes": _number(config, "min-nodes", int),
        "fraction_train": _number(config, "fraction-train", float),
        "proximal_mu": _number(config, "proximal-mu", float),
        "server_lr": _number(config, "server-lr", float),
        "server_momentum": _number(config, "server-momentum", float),
        "server_tau": _number(config, "server-tau", float),
        "num_malicious": _number(config, "num-malicious-nodes", int),
        "multikrum_select": _number(config, "multikrum-select", int),
        "trim_beta": _number(config, "trim-beta", float),
        "q": _number(config, "qfedavg-q", float),
        "client_lr": _number(config, "client-lr", float),
        "dp": str(config.get("dp", DEFAULTS["dp"])).strip(),
        "dp_noise_multiplier": _number(config, "dp-noise-multiplier", float),
        "dp_clipping_norm": _number(config, "dp-clipping-norm", float),
        "secagg": _bool(config, "secagg"),
    }


def validate(run_config, available_nodes=None) -> dict:
    """Check every rule; return the parsed settings or raise ConfigError listing every broken rule.

    `available_nodes` is the number of SuperNodes that can take part (None when unknown: that rule is skipped).
    The per-round cohort is at least min-nodes, so the Byzantine bounds are checked against min-nodes.
    """
    cfg = parse(run_config)
    errors = []
    name, n, f = cfg["strategy"], cfg["min_nodes"], cfg["num_malicious"]
    if name not in STRATEGIES:
        errors.append("strategy=%r is not a supported strategy; allowed: %s" % (name, ", ".join(STRATEGIES)))
    if cfg["num_rounds"] < 1:
        errors.append("num-server-rounds=%d must be at least 1" % cfg["num_rounds"])
    if n < 1:
        errors.append("min-nodes=%d must be at least 1" % n)
    if available_nodes is not None and n > available_nodes:
        errors.append("min-nodes=%d is more than the %d SuperNodes available; allowed: 1..%d"
                      % (n, available_nodes, available_nodes))
    if not 0.0 < cfg["fraction_train"] <= 1.0:
        errors.append("fraction-train=%s must be in (0, 1]" % cfg["fraction_train"])
    if f < 0:
        errors.append("num-malicious-nodes=%d must be 0 or more" % f)
    if name == "FedProx" and cfg["proximal_mu"] <= 0:
        errors.append("proximal-mu=%s must be > 0 for FedProx (0 would make it FedAvg)" % cfg["proximal_mu"])
    if name in ("Krum", "MultiKrum") and n < 2 * f + 3:
        errors.append("%s with num-malicious-nodes=%d needs min-nodes >= 2f+3 = %d (min-nodes=%d)"
                      % (name, f, 2 * f + 3, n))
    if name == "MultiKrum" and not 1 <= cfg["multikrum_select"] <= max(n - f, 1):
        errors.append("multikrum-select=%d must be in 1..min-nodes-num-malicious-nodes = 1..%d"
                      % (cfg["multikrum_select"], max(n - f, 1)))
    if name == "Bulyan" and n < 4 * f + 3:
        errors.append("Bulyan with num-malicious-nodes=%d needs min-nodes >= 4f+3 = %d (min-nodes=%d)"
                      % (f, 4 * f + 3, n))
    if name == "FedTrimmedAvg" and not 0.0 < cfg["trim_beta"] < 0.5:
        errors.append("trim-beta=%s must be in (0, 0.5)" % cfg["trim_beta"])
    if name == "QFedAvg":
        if cfg["q"] < 0:
            errors.append("qfedavg-q=%s must be >= 0" % cfg["q"])
        if cfg["client_lr"] <= 0:
            errors.append("client-lr=%s must be > 0 for QFedAvg" % cfg["client_lr"])
    if cfg["server_lr"] < 0:
        errors.append("server-lr=%s must be >= 0 (0 = Flower's default)" % cfg["server_lr"])
    if cfg["server_tau"] < 0:
        errors.append("server-tau=%s must be >= 0 (0 = Flower's default)" % cfg["server_tau"])
    if name == "FedAvgM" and not 0.0 <= cfg["server_momentum"] < 1.0:
        errors.append("server-momentum=%s must be in [0, 1)" % cfg["server_momentum"])
    if cfg["dp"] not in DP_MODES:
        errors.append("dp=%r is not a DP mode; allowed: %s" % (cfg["dp"], ", ".join(DP_MODES)))
    elif cfg["dp"] != "none":
        if cfg["dp_noise_multiplier"] < 0:
            errors.append("dp-noise-multiplier=%s must be >= 0" % cfg["dp_noise_multiplier"])
        if cfg["dp_clipping_norm"] <= 0:
            errors.append("dp-clipping-norm=%s must be > 0" % cfg["dp_clipping_norm"])
        if cfg["fraction_train"] != 1.0:
            errors.append("dp=%s needs fraction-train=1.0 (Flower's DP wrappers expect a fixed cohort; got %s)"
                          % (cfg["dp"], cfg["fraction_train"]))
    if cfg["secagg"]:
        errors.append(SECAGG_UNAVAILABLE)
    if errors:
        raise ConfigError("; ".join(errors))
    return cfg


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

"""ClientApp: trains and evaluates on this SuperNode's own shard; only model arrays leave the node.

- FedProx: when the server's train config carries `proximal-mu` (Flower's FedProx sends it), the local objective
  gets the proximal term mu/2 * ||w - w_global||^2 (task.fit_proximal); the reply reports `proximal_mu` and the
  distance travelled, so every ClientApp's use of it is visible in the run's metrics.
- Client-side DP: with DifferentialPrivacyClientSideFixedClipping on the server, Flower's `fixedclipping_mod`
  clips this node's update; the mod is applied only to messages that carry a clipping norm.
- Test-only malicious mode: a node whose node config has `malicious=true` sends sign-flipped, scaled arrays
  (`malicious-scale`, default 10) instead of its trained model, but only in runs whose run config also sets
  `test-attacks=true` (double opt-in, so a stray node setting never poisons a real run). Evaluation stays honest.
"""

from flwr.app import ArrayRecord, Context, Message, MetricRecord, RecordDict
from flwr.clientapp import ClientApp
from flwr.clientapp.mod import fixedclipping_mod

from digits import task

CLIPPING_NORM_KEY = "clipping_norm"  # flwr.clientapp.mod.centraldp_mods.KEY_CLIPPING_NORM


def _truthy(value) -> bool:
    return value is True or str(value).strip().lower() in ("true", "1", "yes")


def dp_clipping_when_asked(msg: Message, context: Context, call_next):
    """Flower's fixedclipping_mod for train messages that carry a clipping norm; pass-through otherwise."""
    configs = msg.content.config_records if msg.has_content() else {}
    if any(CLIPPING_NORM_KEY in config for config in configs.values()):
        return fixedclipping_mod(msg, context, call_next)
    return call_next(msg, context)


app = ClientApp(mods=[dp_clipping_when_asked])


def _model_and_data(msg: Message, context: Context):
    model = task.new_model(int(context.run_config.get("local-epochs", 1)))
    task.set_params(model, msg.content["arrays"].to_numpy_ndarrays())
    data = task.load_partition(
        int(context.node_config["partition-id"]), int(context.node_config["num-partitions"])
    )
    return model, data


def is_attacking(context: Context) -> bool:
    return _truthy(context.node_config.get("malicious", False)) and _truthy(
        context.run_config.get("test-attacks", False))


@app.train()
def train(msg: Message, context: Context) -> Message:
    model, (x_train, y_train, _x_test, _y_test) = _model_and_data(msg, context)
    config = msg.content["config"] if "config" in msg.content.config_records else {}
    local_epochs = int(context.run_config.get("local-epochs", 1))
    metrics = {}
    mu = float(config.get("proximal-mu", 0.0)) if "proximal-mu" in config else 0.0
    if mu > 0:
        metrics["proximal_distance"] = task.fit_proximal(model, x_train, y_train, mu, local_epochs)
        metrics["proximal_mu"] = mu
    else:
        task.fit(model, x_train, y_train)
    loss, accuracy = task.evaluate(model, x_train, y_train)
    metrics.update({"train_loss": loss, "train_accuracy": accuracy, "num-examples": len(x_train)})
    params = task.get_params(model)
    # Every reply carries the same metric keys (Flower skips aggregation otherwise), so `poisoned` is always sent.
    metrics["poisoned"] = 0
    if is_attacking(context):
        params = task.poison(params, float(context.node_config.get("malicious-scale", 10.0)))
        metrics["poisoned"] = 1
    content = RecordDict({"arrays": ArrayRecord(params), "metrics": MetricRecord(metrics)})
    return Message(content=content, reply_to=msg)


@app.evaluate()
def evaluate(msg: Message, context: Context) -> Message:
    model, (_x_train, _y_train, x_test, y_test) = _model_and_data(msg, context)
    loss, accuracy = task.evaluate(model, x_test, y_test)
    metrics = MetricRecord({"eval_loss": loss, "eval_accuracy": accuracy, "num-examples": len(x_test)})
    return Message(content=RecordDict({"metrics": metrics}), reply_to=msg)

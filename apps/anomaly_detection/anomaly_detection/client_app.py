"""ClientApp: trains the autoencoder on this node's own CSV (node config data-dir) and scores its test split.

Only the autoencoder's weights and counts (true/false positives, false negatives) leave the node.
"""

import numpy as np
from flwr.app import ArrayRecord, Context, Message, MetricRecord, RecordDict
from flwr.clientapp import ClientApp

from anomaly_detection import data
from anomaly_detection.frameworks import node_module

app = ClientApp()


def _data_dir(context: Context) -> str:
    data_dir = str(context.node_config.get("data-dir", ""))
    if not data_dir:
        raise ValueError("node config data-dir is not set (supernode_data_dir): this app reads only from there")
    return data_dir


def _setup(msg: Message, context: Context):
    cfg = context.run_config
    module = node_module(str(cfg["framework"]), context.node_config)
    model = module.new(int(cfg["num-features"]), learning_rate=float(cfg["learning-rate"]))
    module.set_arrays(model, msg.content["arrays"].to_numpy_ndarrays())
    return module, model, data.load(_data_dir(context), str(cfg["data-file"]))


@app.train()
def train(msg: Message, context: Context) -> Message:
    module, model, (x_train, _x_test, _y_test) = _setup(msg, context)
    loss = module.fit(model, x_train, int(context.run_config["local-epochs"]))
    metrics = MetricRecord({"train_loss": loss, "num-examples": len(x_train)})
    content = RecordDict({"arrays": ArrayRecord(module.get_arrays(model)), "metrics": metrics})
    return Message(content=content, reply_to=msg)


@app.evaluate()
def evaluate(msg: Message, context: Context) -> Message:
    module, model, (x_train, x_test, y_test) = _setup(msg, context)
    if y_test is None:
        raise ValueError("anomaly detection: %s has no label column; evaluation needs one"
                         % context.run_config["data-file"])
    threshold = float(np.quantile(module.errors(model, x_train), float(context.run_config["threshold-quantile"])))
    errors = module.errors(model, x_test)
    tp, fp, fn = data.counts(errors, threshold, y_test)
    metrics = MetricRecord({"eval_loss": float(np.mean(errors[y_test == 0])), "tp": tp, "fp": fp, "fn": fn,
                            "num-examples": len(x_test)})
    return Message(content=RecordDict({"metrics": metrics}), reply_to=msg)

"""ClientApp: trains the CNN on the images in this node's data directory (node config data-dir) and evaluates it on
their test split. Only the CNN's weights and metrics leave the node."""

from flwr.app import ArrayRecord, Context, Message, MetricRecord, RecordDict
from flwr.clientapp import ClientApp

from image_classification import data
from image_classification.frameworks import node_module

app = ClientApp()


def _setup(msg: Message, context: Context):
    cfg = context.run_config
    data_dir = str(context.node_config.get("data-dir", ""))
    if not data_dir:
        raise ValueError("node config data-dir is not set (supernode_data_dir): this app reads only from there")
    module = node_module(str(cfg["framework"]), context.node_config)
    model = module.new(int(cfg["image-size"]), int(cfg["num-classes"]), learning_rate=float(cfg["learning-rate"]))
    module.set_arrays(model, msg.content["arrays"].to_numpy_ndarrays())
    shard = data.load(data_dir, str(cfg["data-arrays"]), str(cfg["data-folder"]), int(cfg["image-size"]))
    return module, model, shard


@app.train()
def train(msg: Message, context: Context) -> Message:
    module, model, (x_train, y_train, _x_test, _y_test) = _setup(msg, context)
    loss, accuracy = module.fit(model, x_train, y_train, int(context.run_config["local-epochs"]))
    metrics = MetricRecord({"train_loss": loss, "train_accuracy": accuracy, "num-examples": len(x_train)})
    content = RecordDict({"arrays": ArrayRecord(module.get_arrays(model)), "metrics": metrics})
    return Message(content=content, reply_to=msg)


@app.evaluate()
def evaluate(msg: Message, context: Context) -> Message:
    module, model, (_x_train, _y_train, x_test, y_test) = _setup(msg, context)
    loss, accuracy = module.evaluate(model, x_test, y_test)
    metrics = MetricRecord({"eval_loss": loss, "eval_accuracy": accuracy, "num-examples": len(x_test)})
    return Message(content=RecordDict({"metrics": metrics}), reply_to=msg)

"""ClientApp: trains and evaluates on this SuperNode's own shard; only model arrays leave the node."""

from flwr.app import ArrayRecord, Context, Message, MetricRecord, RecordDict
from flwr.clientapp import ClientApp

from digits import task

app = ClientApp()


def _model_and_data(msg: Message, context: Context):
    model = task.new_model(int(context.run_config.get("local-epochs", 1)))
    task.set_params(model, msg.content["arrays"].to_numpy_ndarrays())
    data = task.load_partition(
        int(context.node_config["partition-id"]), int(context.node_config["num-partitions"])
    )
    return model, data


@app.train()
def train(msg: Message, context: Context) -> Message:
    model, (x_train, y_train, _x_test, _y_test) = _model_and_data(msg, context)
    task.fit(model, x_train, y_train)
    loss, accuracy = task.evaluate(model, x_train, y_train)
    metrics = MetricRecord({"train_loss": loss, "train_accuracy": accuracy, "num-examples": len(x_train)})
    content = RecordDict({"arrays": ArrayRecord(task.get_params(model)), "metrics": metrics})
    return Message(content=content, reply_to=msg)


@app.evaluate()
def evaluate(msg: Message, context: Context) -> Message:
    model, (_x_train, _y_train, x_test, y_test) = _model_and_data(msg, context)
    loss, accuracy = task.evaluate(model, x_test, y_test)
    metrics = MetricRecord({"eval_loss": loss, "eval_accuracy": accuracy, "num-examples": len(x_test)})
    return Message(content=RecordDict({"metrics": metrics}), reply_to=msg)

"""ClientApp: fine-tunes LoRA adapters on the text in this node's data directory (node config data-dir); the base
model comes from the local model directory. Only the adapter weights and metrics leave the node."""

from flwr.app import ArrayRecord, Context, Message, MetricRecord, RecordDict
from flwr.clientapp import ClientApp

from llm_finetune import lora, text

app = ClientApp()


def _setup(msg: Message, context: Context, split: int):
    cfg = context.run_config
    data_dir = str(context.node_config.get("data-dir", ""))
    if not data_dir:
        raise ValueError("node config data-dir is not set (supernode_data_dir): this app reads only from there")
    node_framework = str(context.node_config.get("framework", "pytorch"))
    if node_framework != "pytorch":
        raise ValueError("llm fine-tuning runs on pytorch, but this SuperNode trains with %r (node config framework, "
                         "ONEAPP_FL_FRAMEWORK); allowed: a node with framework pytorch" % node_framework)
    model, tokenizer = lora.load(cfg)
    lora.set_arrays(model, msg.content["arrays"].to_numpy_ndarrays())
    lines = text.load(data_dir, str(cfg["data-file"]))[split]
    return model, lora.blocks(tokenizer, lines, int(cfg["block-size"]))


@app.train()
def train(msg: Message, context: Context) -> Message:
    cfg = context.run_config
    model, blocks = _setup(msg, context, 0)
    loss = lora.train(model, blocks, int(cfg["local-steps"]), int(cfg["batch-size"]), float(cfg["learning-rate"]))
    metrics = MetricRecord({"train_loss": loss, "num-examples": len(blocks)})
    content = RecordDict({"arrays": ArrayRecord(lora.get_arrays(model)), "metrics": metrics})
    return Message(content=content, reply_to=msg)


@app.evaluate()
def evaluate(msg: Message, context: Context) -> Message:
    model, blocks = _setup(msg, context, 1)
    metrics = MetricRecord({"eval_loss": lora.evaluate(model, blocks, int(context.run_config["batch-size"])),
                            "num-examples": len(blocks)})
    return Message(content=RecordDict({"metrics": metrics}), reply_to=msg)

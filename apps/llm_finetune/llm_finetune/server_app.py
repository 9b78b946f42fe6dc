"""ServerApp: FedAvg over the LoRA adapters only. The initial adapters come from the local base model (model-dir);
writes metrics.json (with the base model's size next to the adapters') and the final adapters as model.npz under
<output-dir>/<run id>/ (output-dir empty = $FLWR_HOME/runs). It never reads data."""

from flwr.app import ArrayRecord, Context
from flwr.serverapp import Grid, ServerApp
from flwr.serverapp.strategy import FedAvg

from llm_finetune import lora, report, rounds

app = ServerApp()


@app.main()
def main(grid: Grid, context: Context) -> None:
    cfg = context.run_config
    if str(cfg["framework"]) != "pytorch":
        raise ValueError("llm fine-tuning: run config framework=%r is not supported; allowed: pytorch"
                         % cfg["framework"])
    model, _tokenizer = lora.load(cfg)
    initial = ArrayRecord(lora.get_arrays(model))
    nodes = int(cfg["min-nodes"])
    strategy = FedAvg(min_train_nodes=nodes, min_evaluate_nodes=nodes, min_available_nodes=nodes)
    # A round with fewer results than min-nodes fails the run, with the nodes' errors in metrics.json.
    grid = rounds.RecordingGrid(grid, nodes, nodes)
    try:
        result = strategy.start(grid=grid, initial_arrays=initial, num_rounds=int(cfg["num-server-rounds"]))
    except rounds.RoundFailed as err:
        rounds.write_failure(context, "llm_finetune", grid, err)
        raise
    report.write(context, result, use_case="llm-fine-tuning", initial=initial,
                 target=("eval_loss", float(cfg["target-eval-loss"]), "min"),
                 extra={"replies": grid.steps, "base_model_bytes": lora.base_bytes(model),
                        "device": str(lora.DEVICE)})

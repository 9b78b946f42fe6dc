"""ServerApp: FedAvg over the CNN's weights. Writes metrics.json and model.npz under <output-dir>/<run id>/
(output-dir empty = $FLWR_HOME/runs). It never reads data."""

from flwr.app import ArrayRecord, Context
from flwr.serverapp import Grid, ServerApp
from flwr.serverapp.strategy import FedAvg

from image_classification import report, rounds
from image_classification.frameworks import model_module

app = ServerApp()


@app.main()
def main(grid: Grid, context: Context) -> None:
    cfg = context.run_config
    module = model_module(str(cfg["framework"]))
    nodes = int(cfg["min-nodes"])
    initial = ArrayRecord(module.get_arrays(module.new(int(cfg["image-size"]), int(cfg["num-classes"]))))
    strategy = FedAvg(min_train_nodes=nodes, min_evaluate_nodes=nodes, min_available_nodes=nodes)
    # A round with fewer results than min-nodes fails the run, with the nodes' errors in metrics.json.
    grid = rounds.RecordingGrid(grid, nodes, nodes)
    try:
        result = strategy.start(grid=grid, initial_arrays=initial, num_rounds=int(cfg["num-server-rounds"]))
    except rounds.RoundFailed as err:
        rounds.write_failure(context, "image_classification", grid, err)
        raise
    report.write(context, result, use_case="image-classification", initial=initial,
                 target=("eval_accuracy", float(cfg["target-accuracy"]), "max"), extra={"replies": grid.steps})

"""ServerApp: FedAvg over the autoencoder's weights; precision, recall and F1 on anomalies from the summed counts.

Writes <output-dir>/<run id>/metrics.json (output-dir empty = $FLWR_HOME/runs) and model.npz. It never reads data.
"""

from flwr.app import ArrayRecord, Context, MetricRecord
from flwr.serverapp import Grid, ServerApp
from flwr.serverapp.strategy import FedAvg

from anomaly_detection import data, report, rounds
from anomaly_detection.frameworks import model_module

app = ServerApp()


def sum_counts(records, weighting_key):
    """Federated evaluation: counts are summed over nodes, the loss is averaged by examples."""
    total = {"tp": 0, "fp": 0, "fn": 0}
    loss, examples = 0.0, 0
    for record in records:
        metrics = next(iter(record.metric_records.values()))
        for key in total:
            total[key] += int(metrics[key])
        loss += float(metrics["eval_loss"]) * int(metrics[weighting_key])
        examples += int(metrics[weighting_key])
    precision, recall, f1 = data.scores(total["tp"], total["fp"], total["fn"])
    return MetricRecord({"eval_loss": loss / max(examples, 1), "precision": precision, "recall": recall,
                         "f1": f1, **{k: float(v) for k, v in total.items()}})


@app.main()
def main(grid: Grid, context: Context) -> None:
    cfg = context.run_config
    module = model_module(str(cfg["framework"]))
    nodes = int(cfg["min-nodes"])
    initial = ArrayRecord(module.get_arrays(module.new(int(cfg["num-features"]))))
    strategy = FedAvg(min_train_nodes=nodes, min_evaluate_nodes=nodes, min_available_nodes=nodes,
                      evaluate_metrics_aggr_fn=sum_counts)
    # A round with fewer results than min-nodes fails the run, with the nodes' errors in metrics.json.
    grid = rounds.RecordingGrid(grid, nodes, nodes)
    try:
        result = strategy.start(grid=grid, initial_arrays=initial, num_rounds=int(cfg["num-server-rounds"]))
    except rounds.RoundFailed as err:
        rounds.write_failure(context, "anomaly_detection", grid, err)
        raise
    report.write(context, result, use_case="anomaly-detection", initial=initial,
                 target=("f1", float(cfg["target-f1"]), "max"), extra={"replies": grid.steps})

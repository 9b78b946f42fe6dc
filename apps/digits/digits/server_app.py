"""ServerApp: FedAvg over the SuperNodes; writes per-round metrics and the final model on the SuperLink side."""

import hashlib
import json
import os
import time
from pathlib import Path

import numpy as np
from flwr.app import ArrayRecord, ConfigRecord, Context
from flwr.serverapp import Grid, ServerApp
from flwr.serverapp.strategy import FedAvg

from digits import task

app = ServerApp()


def _output_dir(context: Context, run_id: int) -> Path:
    base = str(context.run_config.get("output-dir", "")) or os.path.join(
        os.environ.get("FLWR_HOME", os.path.expanduser("~/.flwr")), "runs"
    )
    path = Path(base) / str(run_id)
    path.mkdir(parents=True, exist_ok=True)
    return path


def _atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def _rounds(result) -> list[dict]:
    rounds = sorted(set(result.train_metrics_clientapp) | set(result.evaluate_metrics_clientapp))
    table = []
    for rnd in rounds:
        row = {"round": int(rnd)}
        for source in (result.train_metrics_clientapp, result.evaluate_metrics_clientapp):
            row.update({k: float(v) for k, v in dict(source.get(rnd, {})).items() if k != "num-examples"})
        table.append(row)
    return table


@app.main()
def main(grid: Grid, context: Context) -> None:
    run_id = context.run_id
    num_rounds = int(context.run_config["num-server-rounds"])
    min_nodes = int(context.run_config["min-nodes"])
    strategy = FedAvg(
        fraction_train=float(context.run_config["fraction-train"]),
        min_train_nodes=min_nodes,
        min_evaluate_nodes=min_nodes,
        min_available_nodes=min_nodes,
    )
    started = time.time()
    result = strategy.start(
        grid=grid,
        initial_arrays=ArrayRecord(task.get_params(task.new_model())),
        train_config=ConfigRecord({"local-epochs": int(context.run_config["local-epochs"])}),
        num_rounds=num_rounds,
    )

    out = _output_dir(context, run_id)
    arrays = result.arrays.to_numpy_ndarrays()
    model_path = out / "model.npz"
    tmp_model = out / "model.tmp.npz"
    np.savez(tmp_model, coef=arrays[0], intercept=arrays[1])
    os.replace(tmp_model, model_path)
    summary = {
        "run_id": run_id,
        "app": "digits",
        "strategy": "FedAvg",
        "num_rounds": num_rounds,
        "rounds": _rounds(result),
        "model": str(model_path),
        "model_sha256": hashlib.sha256(model_path.read_bytes()).hexdigest(),
        "elapsed_s": round(time.time() - started, 3),
    }
    _atomic_write(out / "metrics.json", json.dumps(summary, indent=2).encode())

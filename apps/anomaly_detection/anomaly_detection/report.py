"""What a run leaves on the SuperLink side: metrics.json (per-round metrics, model size, rounds to the target) and
model.npz (the final global arrays), under <output-dir>/<run id>/ (output-dir empty = $FLWR_HOME/runs).

A Flower App is built into its own FAB, so every use-case app carries this module; the copies are kept identical
(tests/unit/apps/test_use_case_apps.py)."""

import json
import os
from pathlib import Path

import flwr
import numpy as np


def model_bytes(arrays) -> int:
    """Bytes of the arrays that travel each way per message (their raw tensor data)."""
    return int(sum(a.nbytes for a in arrays.to_numpy_ndarrays()))


def rounds_to_target(rows, metric, target, mode):
    for row in rows:
        value = row.get(metric)
        if value is not None and (value >= target if mode == "max" else value <= target):
            return row["round"]
    return None


def write(context, result, use_case, initial, target, extra=None):
    cfg = context.run_config
    flwr_home = os.environ.get("FLWR_HOME", os.path.expanduser("~/.flwr"))
    base = str(cfg.get("output-dir", "")) or os.path.join(flwr_home, "runs")
    out = Path(base) / str(context.run_id)
    out.mkdir(parents=True, exist_ok=True)
    rounds = sorted(set(result.train_metrics_clientapp) | set(result.evaluate_metrics_clientapp))
    rows = []
    for rnd in rounds:
        row = {"round": int(rnd)}
        for records in (result.train_metrics_clientapp, result.evaluate_metrics_clientapp):
            row.update({k: float(v) for k, v in dict(records.get(rnd, {})).items()})
        rows.append(row)
    np.savez(out / "model.npz", *result.arrays.to_numpy_ndarrays())
    metric, value, mode = target
    summary = {
        "run_id": context.run_id, "app": use_case.replace("-", "_"), "use_case": use_case,
        "framework": str(cfg["framework"]), "flower_version": flwr.__version__,
        "num_rounds": int(cfg["num-server-rounds"]), "nodes": int(cfg["min-nodes"]), "rounds": rows,
        "model_bytes": model_bytes(initial), "model_arrays": len(initial),
        "target": {"metric": metric, "value": value, "mode": mode},
        "rounds_to_target": rounds_to_target(rows, metric, value, mode), "model": str(out / "model.npz"),
    }
    summary.update(extra or {})
    (out / "metrics.json").write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n")
    return summary

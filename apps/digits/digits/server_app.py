"""ServerApp: the strategy the run config names, checkpoints, resume; metrics and models on the SuperLink side.

Per run it writes, under <output-dir>/<run id>/ (output-dir empty = $FLWR_HOME/runs):
  metrics.json              per-round metrics, strategy, where the models are, each step's replies (results,
                            failures, the nodes' errors); a round with fewer results than min-nodes fails the run
                            and metrics.json then says which round, which nodes and why (digits/rounds.py)
  model.npz, model.json     the final global model and its provenance
  best-model.npz/.json      the global model of the round with the best federated eval accuracy
and, every `checkpoint-interval` rounds and after the last, a checkpoint under <checkpoint-dir>/<run id>/
(checkpoint-dir empty = $FLWR_HOME/checkpoints/digits), keeping the last `checkpoint-keep`.
`resume-from` (latest | a checkpoint directory | a round-NNNNN.json) starts from a checkpoint's arrays, optimizer
state and round number and runs the remaining rounds up to num-server-rounds.
"""

import os
import time
from logging import INFO
from pathlib import Path

import flwr
from flwr.app import ArrayRecord, ConfigRecord, Context
from flwr.serverapp import Grid, ServerApp

try:  # Flower 1.42
    from flwr.supercore import log
except ImportError:  # Flower 1.31
    from flwr.common import log

from digits import checkpoint, rounds, strategies, task

app = ServerApp()
ARRAY_NAMES = ("coef", "intercept")
NODE_WAIT_S = 60
ROUND_TIMEOUT_S = 3600


def _flwr_home() -> str:
    return os.environ.get("FLWR_HOME", os.path.expanduser("~/.flwr"))


def _output_dir(context: Context, run_id: int) -> Path:
    base = str(context.run_config.get("output-dir", "")) or os.path.join(_flwr_home(), "runs")
    path = Path(base) / str(run_id)
    path.mkdir(parents=True, exist_ok=True)
    return path


def checkpoint_dir(context: Context) -> Path:
    return Path(str(context.run_config.get("checkpoint-dir", "")) or os.path.join(_flwr_home(), "checkpoints", "digits"))


def _row(server_round: int, *records) -> dict:
    row = {"round": int(server_round)}
    for record in records:
        if record is not None:
            row.update({k: float(v) for k, v in dict(record).items() if k != "num-examples"})
    return row


def _available_nodes(grid: Grid, wanted: int) -> int:
    """Connected SuperNodes, waiting up to NODE_WAIT_S for `wanted` of them."""
    deadline = time.time() + NODE_WAIT_S
    while True:
        count = len(list(grid.get_node_ids()))
        if count >= wanted or time.time() > deadline:
            return count
        time.sleep(1.0)


def _provenance(grid: Grid, context: Context, cfg: dict) -> dict:
    try:
        run = grid.run
        fab = {"fab_id": run.fab_id, "fab_version": run.fab_version, "fab_hash": run.fab_hash}
    except Exception:  # pylint: disable=broad-except
        fab = {"fab_id": "", "fab_version": "", "fab_hash": ""}
    return {"app": "digits", **fab, "flower_version": flwr.__version__, "strategy": cfg["strategy"],
            "dp": cfg["dp"], "num_rounds": cfg["num_rounds"],
            "run_config": dict(context.run_config.items())}


def _to_named(arrays: ArrayRecord) -> dict:
    return dict(zip(ARRAY_NAMES, arrays.to_numpy_ndarrays(), strict=True))


def _save_model(path: Path, arrays: ArrayRecord, meta: dict) -> dict:
    meta = dict(meta, model=path.name, sha256=checkpoint.save_npz(path, _to_named(arrays)), created=time.time())
    checkpoint.write_json(path.with_name(path.name[: -len(".npz")] + ".json"), meta)
    return meta


@app.main()
def main(grid: Grid, context: Context) -> None:  # pylint: disable=too-many-locals,too-many-statements
    run_id = context.run_id
    run_config = context.run_config
    started = time.time()

    # Every rule before the first round: a bad config fails here, with the key, the value and what is allowed.
    cfg = strategies.validate(run_config)
    available = _available_nodes(grid, cfg["min_nodes"])
    cfg = strategies.validate(run_config, available_nodes=available)
    grid = rounds.RecordingGrid(grid, cfg["min_nodes"], cfg["min_nodes"])
    num_sampled = max(int(available * cfg["fraction_train"]), cfg["min_nodes"])
    strategy = strategies.build(cfg, num_sampled)
    interval, keep = cfg["checkpoint_interval"], cfg["checkpoint_keep"]
    ckpt_dir = checkpoint_dir(context)
    provenance = _provenance(grid, context, cfg)

    arrays = ArrayRecord(task.get_params(task.new_model()))
    first_round = 1
    resumed_from = None
    resume = str(run_config.get("resume-from", "")).strip()
    if resume:
        meta_path = checkpoint.resolve(resume, ckpt_dir)
        meta, named, state = checkpoint.load(meta_path)
        if meta["round"] >= cfg["num_rounds"]:
            raise strategies.ConfigError(
                "resume-from=%s: checkpoint %s is at round %d, num-server-rounds=%d leaves nothing to run"
                % (resume, meta_path, meta["round"], cfg["num_rounds"]))
        arrays = ArrayRecord([named[name] for name in ARRAY_NAMES])
        strategies.restore_optimizer_state(strategy, state)
        first_round = meta["round"] + 1
        resumed_from = {"checkpoint": str(meta_path), "run_id": meta["run_id"], "round": meta["round"],
                        "strategy": meta.get("strategy"), "sha256": meta["sha256"]}
        log(INFO, "Resuming from %s (run %s, round %d)", meta_path, meta["run_id"], meta["round"])
    provenance["resumed_from"] = resumed_from

    log(INFO, "Strategy %s (%s), rounds %d..%d, %d SuperNodes connected", cfg["strategy"],
        type(strategy).__name__, first_round, cfg["num_rounds"], available)
    train_config = ConfigRecord({"local-epochs": int(run_config.get("local-epochs", 1))})
    out = _output_dir(context, run_id)
    rows, best = [], None
    for server_round in range(first_round, cfg["num_rounds"] + 1):
        log(INFO, "[ROUND %d/%d]", server_round, cfg["num_rounds"])
        try:
            replies = grid.send_and_receive(strategy.configure_train(server_round, arrays, train_config, grid),
                                            timeout=ROUND_TIMEOUT_S)
            new_arrays, train_metrics = strategy.aggregate_train(server_round, replies)
            if new_arrays is None:
                raise RuntimeError("round %d: no usable training replies (see the SuperNode logs)" % server_round)
            arrays = new_arrays
            replies = grid.send_and_receive(strategy.configure_evaluate(server_round, arrays, ConfigRecord(), grid),
                                            timeout=ROUND_TIMEOUT_S)
        except (rounds.RoundFailed, RuntimeError) as err:
            rounds.write_failure(context, "digits", grid, err, rows)
            raise
        eval_metrics = strategy.aggregate_evaluate(server_round, replies)
        row = _row(server_round, train_metrics, eval_metrics)
        rows.append(row)
        log(INFO, "\t└──> %s", row)

        meta = dict(provenance, round=server_round, metrics=row)
        accuracy = row.get("eval_accuracy", float("-inf"))
        if best is None or accuracy > best["metrics"].get("eval_accuracy", float("-inf")):
            best = _save_model(out / "best-model.npz", arrays, meta)
        if server_round == cfg["num_rounds"] or (interval and server_round % interval == 0):
            checkpoint.save(ckpt_dir, run_id, server_round, _to_named(arrays), meta, keep,
                            state=strategies.optimizer_state(strategy))

    final = _save_model(out / "model.npz", arrays, dict(provenance, round=cfg["num_rounds"],
                                                        metrics=rows[-1] if rows else {}))
    summary = {
        "run_id": run_id,
        "app": "digits",
        "strategy": cfg["strategy"],
        "dp": cfg["dp"],
        "flower_version": flwr.__version__,
        "fab_hash": provenance["fab_hash"],
        "num_rounds": cfg["num_rounds"],
        "first_round": first_round,
        "resumed_from": resumed_from,
        "rounds": rows,
        "model": str(out / "model.npz"),
        "model_sha256": final["sha256"],
        "best_model": str(out / "best-model.npz"),
        "best_round": best["round"] if best else None,
        "checkpoint_dir": str(ckpt_dir / str(run_id)),
        "checkpoints": sorted(str(p) for p in (ckpt_dir / str(run_id)).glob("round-*.json")),
        "elapsed_s": round(time.time() - started, 3),
        "replies": grid.steps,
    }
    checkpoint.write_json(out / "metrics.json", summary)

"""Checkpoints of the global model: framework-neutral .npz plus JSON provenance, the last K kept per run.

Layout under the checkpoint directory (run-config `checkpoint-dir`, default $FLWR_HOME/checkpoints/<app>):

    <run id>/round-00002.npz          the global model after round 2 (arrays by name)
    <run id>/round-00002.json         provenance: round, run id, strategy, metrics, sha256 of the .npz, Flower
                                      version, app (FAB) hash, resumed_from
    <run id>/round-00002.state.npz    server-optimizer state (FedAdam/FedYogi/FedAdagrad moments, FedAvgM
                                      momentum), only for strategies that have one

Plain Python and numpy: no Flower import, so it is unit-tested and usable from an operator's shell.
"""

import hashlib
import json
import os
import re
import time
from pathlib import Path

import numpy as np

FORMAT = 1
_NAME = re.compile(r"^round-(\d+)\.json$")


class CheckpointError(ValueError):
    """A checkpoint that cannot be used (missing, corrupt, or not a checkpoint)."""


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _atomic_bytes(path: Path, data: bytes) -> None:
    tmp = path.with_name(".%s.tmp" % path.name)
    tmp.write_bytes(data)
    os.replace(tmp, path)


def save_npz(path: Path, arrays: dict) -> str:
    """Write arrays atomically as .npz; return its sha256."""
    path = Path(path)
    tmp = path.with_name(".%s.tmp.npz" % path.stem)
    np.savez(tmp, **arrays)
    os.replace(tmp, path)
    return sha256(path)


def write_json(path: Path, data: dict) -> None:
    _atomic_bytes(Path(path), (json.dumps(data, indent=2, sort_keys=True) + "\n").encode())


def save(directory, run_id: int, server_round: int, arrays: dict, meta: dict, keep: int, state=None) -> Path:
    """Write one checkpoint of run `run_id` after `server_round`, prune that run's older ones beyond `keep`.

    Returns the JSON metadata path. `meta` is merged into the metadata (strategy, metrics, versions, ...).
    """
    run_dir = Path(directory) / str(run_id)
    run_dir.mkdir(parents=True, exist_ok=True)
    stem = "round-%05d" % server_round
    model = run_dir / (stem + ".npz")
    digest = save_npz(model, arrays)
    if state:
        save_npz(run_dir / (stem + ".state.npz"), state)
    metadata = dict(meta)
    metadata.update(format=FORMAT, run_id=int(run_id), round=int(server_round), model=model.name, sha256=digest,
                    arrays={k: list(np.shape(v)) for k, v in arrays.items()}, optimizer_state=bool(state),
                    created=time.time())
    meta_path = run_dir / (stem + ".json")
    write_json(meta_path, metadata)
    prune(run_dir, keep)
    return meta_path


def _checkpoints(run_dir: Path) -> list:
    return sorted((int(m.group(1)), p) for p in Path(run_dir).glob("round-*.json") if (m := _NAME.match(p.name)))


def prune(run_dir: Path, keep: int) -> list:
    """Delete all but the `keep` newest checkpoints in one run's directory; return the rounds deleted."""
    deleted = []
    for rnd, meta_path in _checkpoints(run_dir)[:-keep] if keep > 0 else []:
        stem = meta_path.name[: -len(".json")]
        for suffix in (".npz", ".state.npz", ".json"):
            (meta_path.parent / (stem + suffix)).unlink(missing_ok=True)
        deleted.append(rnd)
    return deleted


def latest(directory) -> Path | None:
    """The newest checkpoint's metadata under `directory` (over all runs), by creation time, then round."""
    best = None
    for meta_path in Path(directory).glob("*/round-*.json"):
        try:
            meta = json.loads(meta_path.read_text())
        except (OSError, ValueError):
            continue
        key = (float(meta.get("created", 0)), int(meta.get("round", 0)))
        if best is None or key > best[0]:
            best = (key, meta_path)
    return best[1] if best else None


def resolve(reference: str, directory) -> Path:
    """The metadata path `resume-from` names: 'latest', a run's checkpoint directory, a .json or a .npz."""
    if reference == "latest":
        found = latest(directory)
        if found is None:
            raise CheckpointError("resume-from=latest: no checkpoint under %s" % directory)
        return found
    path = Path(reference)
    if path.is_dir():
        found = _checkpoints(path)
        if not found:
            raise CheckpointError("resume-from=%s: no round-*.json checkpoint in that directory" % reference)
        return found[-1][1]
    if path.suffix == ".npz":
        path = path.with_name(path.name[: -len(".npz")] + ".json")
    if not path.is_file():
        raise CheckpointError("resume-from=%s: no such checkpoint (want 'latest', a checkpoint directory, or a "
                              "round-NNNNN.json/.npz file)" % reference)
    return path


def load(meta_path):
    """(metadata, arrays, optimizer state) of a checkpoint; the .npz must match the sha256 its metadata records."""
    meta_path = Path(meta_path)
    try:
        meta = json.loads(meta_path.read_text())
    except (OSError, ValueError) as err:
        raise CheckpointError("%s is not a checkpoint's metadata: %s" % (meta_path, err)) from None
    model = meta_path.parent / meta.get("model", "")
    if not model.is_file():
        raise CheckpointError("%s: model file %s is missing" % (meta_path, model))
    if sha256(model) != meta.get("sha256"):
        raise CheckpointError("%s: sha256 of %s does not match its metadata (corrupt or replaced)" % (meta_path, model))
    with np.load(model) as data:
        arrays = {k: data[k] for k in data.files}
    state = {}
    state_path = model.with_name(model.name[: -len(".npz")] + ".state.npz")
    if state_path.is_file():
        with np.load(state_path) as data:
            state = {k: data[k] for k in data.files}
    return meta, arrays, state

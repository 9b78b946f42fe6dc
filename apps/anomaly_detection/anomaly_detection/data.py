"""Tabular data of one SuperNode: a CSV in its data directory, and a synthetic generator for tests and demos.

The CSV has a header, numeric feature columns and an optional 0/1 `label` column (1 = anomaly). The autoencoder
trains on the training split's normal rows (all rows when there is no label); the test split is scored.
"""

import csv
from pathlib import Path

import numpy as np

LABEL = "label"
TEST_FRACTION = 0.3
# The subspace normal rows live near is the same on every node (a fixed seed), their rows differ per node.
SUBSPACE_SEED = 1234
SUBSPACE_DIM = 3
# Rows of a node's demo CSV (about 620 kB), as the local federation's demo data and the tests write it.
DEMO_ROWS = 4000


def read_csv(path):
    """(features, labels or None) of a CSV file."""
    path = Path(path)
    with open(path, newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        rows = np.array([[float(v) for v in row] for row in reader], dtype=np.float32)
    if LABEL in header:
        col = header.index(LABEL)
        return np.delete(rows, col, axis=1), rows[:, col].astype(np.int64)
    return rows, None


def load(data_dir, data_file):
    """(x_train_normal, x_test, y_test) of this node; y_test is None without labels."""
    path = Path(data_dir) / data_file
    if not path.is_file():
        raise FileNotFoundError("anomaly detection: no %s in this node's data directory %s (node config data-dir)"
                                % (data_file, data_dir))
    x, y = read_csv(path)
    split = int(len(x) * (1 - TEST_FRACTION))
    x_train, x_test = x[:split], x[split:]
    if y is None:
        return x_train, x_test, None
    return x_train[y[:split] == 0], x_test, y[split:]


def synthetic(rows, features=16, anomaly_rate=0.05, seed=0):
    """(x, y): normal rows near a shared low-dimensional subspace, anomalies off it."""
    basis = np.random.default_rng(SUBSPACE_SEED).normal(size=(SUBSPACE_DIM, features))
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(rows, SUBSPACE_DIM)) @ basis / np.sqrt(SUBSPACE_DIM) + 0.05 * rng.normal(size=(rows, features))
    y = (rng.random(rows) < anomaly_rate).astype(np.int64)
    x[y == 1] = rng.normal(scale=1.0, size=(int(y.sum()), features))
    return x.astype(np.float32), y


def write_synthetic(path, rows, features=16, anomaly_rate=0.05, seed=0):
    x, y = synthetic(rows, features, anomaly_rate, seed)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["f%d" % i for i in range(features)] + [LABEL])
        for row, label in zip(x, y):
            writer.writerow(["%.6f" % v for v in row] + [int(label)])
    return path


def counts(errors, threshold, labels):
    """True positives, false positives, false negatives of `errors > threshold` against `labels`."""
    predicted = errors > threshold
    actual = labels == 1
    return int((predicted & actual).sum()), int((predicted & ~actual).sum()), int((~predicted & actual).sum())


def scores(tp, fp, fn):
    """(precision, recall, F1) on anomalies."""
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


if __name__ == "__main__":  # python data.py CSV SEED: one SuperNode's demo data (the SuperNode role, local mode)
    import sys

    print(write_synthetic(sys.argv[1], DEMO_ROWS, seed=int(sys.argv[2])))

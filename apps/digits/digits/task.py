"""Model and data shared by the ClientApp and the ServerApp.

The data is scikit-learn's bundled digits set (no download). Each SuperNode keeps the shard named by its
node config (`partition-id` of `num-partitions`); the split is deterministic so every run is comparable.
"""

import warnings

import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss
from sklearn.model_selection import train_test_split

N_CLASSES = 10
N_FEATURES = 64
SEED = 42


def new_model(local_epochs: int = 1) -> LogisticRegression:
    model = LogisticRegression(max_iter=10 * local_epochs, warm_start=True)
    # Start from zeros so the first fit has a shape to warm-start from.
    model.classes_ = np.arange(N_CLASSES)
    model.coef_ = np.zeros((N_CLASSES, N_FEATURES))
    model.intercept_ = np.zeros(N_CLASSES)
    return model


def get_params(model: LogisticRegression) -> list[np.ndarray]:
    return [model.coef_, model.intercept_]


def set_params(model: LogisticRegression, params: list[np.ndarray]) -> None:
    model.coef_, model.intercept_ = params[0], params[1]


def load_partition(partition_id: int, num_partitions: int):
    """Return (x_train, y_train, x_test, y_test) for one node's shard."""
    x, y = load_digits(return_X_y=True)
    x = x / 16.0
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.2, random_state=SEED, stratify=y)
    train_idx = np.array_split(np.arange(len(x_train)), num_partitions)[partition_id]
    test_idx = np.array_split(np.arange(len(x_test)), num_partitions)[partition_id]
    return x_train[train_idx], y_train[train_idx], x_test[test_idx], y_test[test_idx]


def fit(model: LogisticRegression, x, y) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(x, y)


def evaluate(model: LogisticRegression, x, y) -> tuple[float, float]:
    """Return (loss, accuracy)."""
    proba = model.predict_proba(x)
    return float(log_loss(y, proba, labels=model.classes_)), float(model.score(x, y))

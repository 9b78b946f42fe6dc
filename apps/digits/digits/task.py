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


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def proximal_objective(theta: np.ndarray, x, y, global_params: list[np.ndarray], mu: float, c: float = 1.0):
    """FedProx's local objective for multinomial logistic regression, and its gradient.

    f(w) = mean cross-entropy + ||W||^2 / (2 C n)  (scikit-learn's L2-regularised objective divided by C n)
           + mu/2 * ||w - w_global||^2             (the proximal term, over coefficients and intercepts)
    `theta` is the flattened (coef, intercept) vector.
    """
    n = len(x)
    coef = theta[: N_CLASSES * N_FEATURES].reshape(N_CLASSES, N_FEATURES)
    intercept = theta[N_CLASSES * N_FEATURES:]
    proba = _softmax(x @ coef.T + intercept)
    onehot = np.eye(N_CLASSES)[y]
    loss = -np.mean(np.log(np.clip(proba[np.arange(n), y], 1e-12, None))) + (coef ** 2).sum() / (2 * c * n)
    residual = (proba - onehot) / n
    grad_coef = residual.T @ x + coef / (c * n)
    grad_intercept = residual.sum(axis=0)
    global_theta = np.concatenate([global_params[0].ravel(), global_params[1].ravel()])
    diff = theta - global_theta
    loss += 0.5 * mu * float(diff @ diff)
    grad = np.concatenate([grad_coef.ravel(), grad_intercept]) + mu * diff
    return float(loss), grad


def fit_proximal(model: LogisticRegression, x, y, mu: float, local_epochs: int = 1) -> float:
    """Train from the model's current (global) parameters on FedProx's objective with L-BFGS.

    The same solver and iteration budget as `fit` (scikit-learn's lbfgs, 10 iterations per local epoch), with the
    proximal term mu/2 * ||w - w_global||^2 added to the loss and its gradient mu * (w - w_global) to the gradient,
    so a larger mu keeps the local model closer to the global one. Returns ||w - w_global||.
    """
    from scipy.optimize import minimize  # scikit-learn's own dependency

    global_params = [p.copy() for p in get_params(model)]
    theta0 = np.concatenate([global_params[0].ravel(), global_params[1].ravel()])
    result = minimize(proximal_objective, theta0, args=(x, y, global_params, mu), jac=True, method="L-BFGS-B",
                      options={"maxiter": 10 * local_epochs})
    theta = result.x
    model.coef_ = theta[: N_CLASSES * N_FEATURES].reshape(N_CLASSES, N_FEATURES)
    model.intercept_ = theta[N_CLASSES * N_FEATURES:].copy()
    return float(np.linalg.norm(theta - theta0))


def poison(params: list[np.ndarray], scale: float) -> list[np.ndarray]:
    """Test-only model poisoning: the update sign-flipped and scaled (a classic Byzantine attack)."""
    return [-scale * p for p in params]

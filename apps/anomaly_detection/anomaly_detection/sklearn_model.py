"""scikit-learn autoencoder: an MLPRegressor trained to reproduce its input; weights travel as numpy arrays."""

import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPRegressor

HIDDEN = (8, 3, 8)


def new(features, seed=0, learning_rate=0.01):
    model = MLPRegressor(hidden_layer_sizes=HIDDEN, activation="tanh", solver="adam",
                         learning_rate_init=learning_rate, random_state=seed)
    # partial_fit on a dummy batch creates the weights (Glorot init from random_state).
    model.partial_fit(np.zeros((2, features)), np.zeros((2, features)))
    return model


def get_arrays(model):
    return [*model.coefs_, *model.intercepts_]


def set_arrays(model, arrays):
    half = len(arrays) // 2
    model.coefs_ = [np.array(a, dtype=np.float64) for a in arrays[:half]]
    model.intercepts_ = [np.array(a, dtype=np.float64) for a in arrays[half:]]


def fit(model, x, epochs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for _epoch in range(epochs):
            model.partial_fit(x, x)
    return float(np.mean(errors(model, x)))


def errors(model, x):
    return np.mean((model.predict(x) - x) ** 2, axis=1)

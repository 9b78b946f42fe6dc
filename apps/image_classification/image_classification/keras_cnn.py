"""TensorFlow/Keras CNN with the same layout as the PyTorch one; weights travel as numpy arrays."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402  pylint: disable=wrong-import-position
import numpy as np  # noqa: E402  pylint: disable=wrong-import-position
import tensorflow as tf  # noqa: E402  pylint: disable=wrong-import-position

BATCH = 32
tf.config.threading.set_intra_op_parallelism_threads(1)  # SuperNodes share the host's cores
tf.config.threading.set_inter_op_parallelism_threads(1)


def new(size, classes, seed=0, learning_rate=0.005):
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([
        keras.Input((size, size, 1)),
        keras.layers.Conv2D(16, 3, padding="same", activation="relu"), keras.layers.MaxPooling2D(2),
        keras.layers.Conv2D(32, 3, padding="same", activation="relu"), keras.layers.MaxPooling2D(2),
        keras.layers.Flatten(), keras.layers.Dense(classes)])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    return model


def get_arrays(model):
    return [np.asarray(w) for w in model.get_weights()]


def set_arrays(model, arrays):
    model.set_weights(list(arrays))


def fit(model, x, y, epochs):
    model.fit(np.asarray(x)[..., None], np.asarray(y), epochs=epochs, batch_size=BATCH, shuffle=True, verbose=0)
    return evaluate(model, x, y)


def evaluate(model, x, y):
    """(loss, accuracy)."""
    loss, accuracy = model.evaluate(np.asarray(x)[..., None], np.asarray(y), batch_size=256, verbose=0)
    return float(loss), float(accuracy)

"""The CNN module of the run config's `framework`, imported only when chosen."""

import importlib

FRAMEWORKS = {"pytorch": "image_classification.torch_cnn", "tensorflow": "image_classification.keras_cnn"}


def model_module(framework):
    if framework not in FRAMEWORKS:
        raise ValueError("image classification: run config framework=%r is not supported; allowed: %s"
                         % (framework, ", ".join(FRAMEWORKS)))
    return importlib.import_module(FRAMEWORKS[framework])

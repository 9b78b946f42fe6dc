"""The model module of the run config's `framework`, imported only when chosen (PyTorch is optional)."""

import importlib

FRAMEWORKS = {"sklearn": "anomaly_detection.sklearn_model", "pytorch": "anomaly_detection.torch_model"}


def model_module(framework):
    if framework not in FRAMEWORKS:
        raise ValueError("anomaly detection: run config framework=%r is not supported; allowed: %s"
                         % (framework, ", ".join(FRAMEWORKS)))
    return importlib.import_module(FRAMEWORKS[framework])

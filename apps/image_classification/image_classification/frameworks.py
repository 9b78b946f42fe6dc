"""The CNN module of the run config's `framework`, imported only when chosen."""

import importlib

FRAMEWORKS = {"pytorch": "image_classification.torch_cnn", "tensorflow": "image_classification.keras_cnn"}


def model_module(framework):
    if framework not in FRAMEWORKS:
        raise ValueError("image classification: run config framework=%r is not supported; allowed: %s"
                         % (framework, ", ".join(FRAMEWORKS)))
    return importlib.import_module(FRAMEWORKS[framework])


def node_module(framework, node_config):
    """model_module for a ClientApp: the run's framework must be the node's own when the node declares one (node
    config framework: the appliance's ONEAPP_FL_FRAMEWORK), so a node never trains with a framework it was not
    set up for."""
    node = str(node_config.get("framework", ""))
    if node and node != framework:
        raise ValueError("image classification: run config framework=%r, but this SuperNode trains with %r (node "
                         "config framework, ONEAPP_FL_FRAMEWORK); allowed: framework=%r for this node"
                         % (framework, node, node))
    return model_module(framework)

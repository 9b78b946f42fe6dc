"""Use case: federated image classification with a small CNN (PyTorch or TensorFlow/Keras)."""

"""Use case: federated anomaly detection on tabular data with an autoencoder (scikit-learn or PyTorch)."""

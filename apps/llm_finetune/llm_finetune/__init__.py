"""Use case: federated LoRA fine-tuning of a causal language model from a local directory; only adapters travel."""

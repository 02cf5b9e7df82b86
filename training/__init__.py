"""Offline tooling that builds the models docintake ships: caches, synthetic data, training scripts."""

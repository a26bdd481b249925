"""Prediction with a saved phase-3 model: one predictor for every task, and ``train predict``."""

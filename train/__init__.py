"""The three-phase trainer: models, collators, phases, metrics and reports."""

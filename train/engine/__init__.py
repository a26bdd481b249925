"""The one training engine every model is trained by: options, the Trainer set-up, collators,
checkpoints, data loading, logging and multi-process helpers."""

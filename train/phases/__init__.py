"""The three training phases, one module per ``train`` command, and what they share: the
training options (``args``), the Hugging Face Trainer set-up (``trainer``), collators, and
the phase result."""

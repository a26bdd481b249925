"""The three training phases, one module per ``train`` command, and what they share: the
training options (``args``), the opening of a phase's input (``inputs``), the Hugging Face
Trainer set-up (``trainer``), collators, and the phase result."""

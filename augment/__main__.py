"""``python -m augment``: the ``augment`` console script (so torchrun and accelerate launch reach it)."""

from augment.cli import main

if __name__ == "__main__":
    main()

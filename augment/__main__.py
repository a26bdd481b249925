"""``python -m augment``: the ``augment`` console script (for torchrun and accelerate launch)."""

from augment.cli import main

if __name__ == "__main__":
    main()

"""``python -m train``: the ``train`` console script (for torchrun and accelerate launch)."""

from train.cli import main

if __name__ == "__main__":
    main()

"""``python -m train``: the ``train`` console script (so torchrun and accelerate launch reach it)."""

from train.cli import main

if __name__ == "__main__":
    main()

"""``python -m train``: the ``train`` console script (for torchrun, accelerate launch)."""

from train.cli import main

if __name__ == "__main__":
    main()

"""``python -m train``: the same CLI as the ``train`` console script (torchrun, accelerate launch)."""

from train.cli import main

if __name__ == "__main__":
    main()

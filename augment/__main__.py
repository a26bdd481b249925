"""``python -m augment``: the same CLI as the ``augment`` console script (torchrun, accelerate launch)."""

from augment.cli import main

if __name__ == "__main__":
    main()

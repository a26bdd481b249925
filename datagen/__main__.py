"""``python -m datagen``: the ``datagen`` console script (for torchrun, accelerate launch)."""

from datagen.cli import main

if __name__ == "__main__":
    main()

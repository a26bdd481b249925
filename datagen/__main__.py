"""``python -m datagen``: the ``datagen`` console script (so torchrun and accelerate launch reach it)."""

from datagen.cli import main

if __name__ == "__main__":
    main()

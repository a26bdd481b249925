"""``python -m datagen``: the same CLI as the ``datagen`` console script (torchrun, accelerate launch)."""

from datagen.cli import main

if __name__ == "__main__":
    main()

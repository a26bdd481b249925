"""Pair mode (``augment pairs``, also ``augment silver --pairs``), AugSBERT: a teacher trained on
gold STS pairs scores new pairs over the gold sentences, and silver pairs are chosen to shape
the score histogram. :mod:`~augment.pairs.run` is the command."""

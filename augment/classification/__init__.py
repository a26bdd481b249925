"""Classification mode of ``augment silver``: gold posts + an unlabelled pool -> gold plus
confident silver rows (search, a teacher, held-out precision, per-class selection, the
downstream check, the report). :mod:`~augment.classification.command` is the command."""

"""What both modes share besides search: the options every ``augment`` command takes, the
paired gold vs gold + silver result of the downstream check, and figure drawing."""

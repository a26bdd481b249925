"""``datagen view DATA``: a local, read-only browser for the data sets the toolkit wrote."""

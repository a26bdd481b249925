"""Label balancing with Augmented-SBERT silver data: embeddings, search, teachers, selection."""

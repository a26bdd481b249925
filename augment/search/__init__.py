"""Finding candidates: sentence embeddings (with a between-runs cache), top-k semantic search
(exact or FAISS) and BM25 neighbours."""

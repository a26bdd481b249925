"""Data generation: articles (scrape/ingest), sentences, base sentences and masked examples."""

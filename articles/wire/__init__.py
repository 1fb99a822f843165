"""The wire desk: agency copy arriving by itself (docs in articles/wire/ingest.py)."""

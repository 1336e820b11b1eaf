"""The report's figures, each computed in one pass over a stream of records."""

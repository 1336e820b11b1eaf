"""Policy: loading, validation, the typed model, business time and evaluation."""

"""Known-item relevance evaluation of the archive's search against two peers."""

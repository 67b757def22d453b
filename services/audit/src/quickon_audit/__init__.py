"""QuickOn audit service: the hash-chained log of every event: verify, query, checkpoints."""

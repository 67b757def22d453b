"""The monitor's edges: Prometheus (its configuration file and HTTP API)."""

"""The monitor's edges: Prometheus's HTTP API."""

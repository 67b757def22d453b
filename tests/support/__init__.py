"""Helpers for the integration and end-to-end tests (no mocks: real NATS, real databases)."""

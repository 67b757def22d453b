"""QuickOn gateway service: the HTTP API users and `qc` talk to: auth, teams, operations, events."""

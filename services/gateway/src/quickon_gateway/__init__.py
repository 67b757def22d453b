"""QuickOn gateway service: the HTTP API users and `qc` talk to: auth, teams, operations, events.

Its shape is an HTTP service's, not a consumer's: ``app.py`` (wiring of the FastAPI app and its parts),
``routes/`` and ``auth/`` (HTTP routes in place of ``handlers.py`` and ``queries.py``: it answers no
queries of its own, and reads go to the owning services through ``reads.py``), ``settings.py``,
``migrations/``. Exceptions:

- No ``domain.py``: its pure rules are ``visibility.py`` (who may see what) and ``principal.py``.
- No ``adapters/``: ``reads.py`` (queries over NATS) and ``events.py`` (the stream feed) sit at the top
  level (secret values are sealed by ``quickon_common.sealing``); ``tracking.py`` and ``stalled.py`` are its consumers
  (operations kept current from the events, and ended when no event will).
"""

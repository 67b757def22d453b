"""QuickOn backup service: backups, schedules, retention and restores, on S3 or a local store.

Shape: ``app.py`` (wiring), ``handlers.py``, ``queries.py``, ``domain.py``, ``adapters/`` (the deployer
over NATS, Kubernetes jobs, tar streams), ``settings.py``, ``migrations/``. Exceptions:

- Jobs are sagas on ``quickon_common.saga``: ``jobs.py`` (the runner), ``sagas.py`` (each job's saga),
  ``plans.py`` (their recorded plans), ``backing.py`` and ``restoring.py`` (the steps), ``waiting.py``
  (waiting for a deployer operation inside a step).
- ``retention.py`` holds pure rules (schedules and retention as functions of the time given) beside
  ``domain.py``; ``schedules.py`` is the scheduler and the consumers that set schedules.
- ``stored.py`` is an adapter (a backup's objects in the store) kept at the top level.
- Tests and benchmarks reach the store, scheduler and runner through ``app.build()``.
"""

"""QuickOn deployer service: installed services and their operations (install, upgrade, rollback, ...) as sagas.

Shape: ``app.py`` (wiring), ``handlers.py``, ``queries.py``, ``domain.py``, ``adapters/`` (the market over
NATS, ``helm template``, the platform's sealing key), ``settings.py``, ``migrations/``. Exceptions:

- The runtimes are adapters but have their own package, ``runtime/`` (Kubernetes, the simulated
  cluster, ``choice.py`` picking one), imported by that name by tests and benchmarks.
- Operations are sagas on ``quickon_common.saga``: ``saga.py`` (the runner), ``outcomes.py`` (how each
  ends), ``plans.py`` (their recorded plans), ``steps.py`` (the steps), ``pre_upgrade.py`` (the backup
  an upgrade waits for).
- ``preview.py`` (what an upgrade would change) and ``stored.py`` (manifests with Secret contents as
  digests) are pure rules kept beside ``domain.py``; ``watcher.py`` keeps statuses true to the runtime;
  ``backup_source.py`` is the query the backup service asks, kept apart from ``queries.py``.
- The runtime and the sealer are built while wiring (``runtime/choice.py`` and ``adapters/sealing.py``
  read the simulated cluster's state, the kubeconfig and the key files then): the steps and queries are
  built around them. Tests and benchmarks reach the runtime, runner and watcher through ``app.build()``.
"""

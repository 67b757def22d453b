"""QuickOn market service: chart repositories become the app catalog: sources, versions, search, publishing.

Shape: ``app.py`` (wiring), ``handlers.py`` (repository commands), ``queries.py`` (catalog reads,
publishing), ``domain.py``, ``settings.py``, ``migrations/``. Exceptions:

- No ``adapters/``: its adapters sit at the top level: ``sources.py`` (repositories on disk or over
  HTTP), ``store.py`` (packaged charts cached on disk), ``sync.py`` (an index applied to the database),
  ``own_repositories.py`` (the built-in and local repositories at start), ``publish.py`` (runs the real
  ``helm lint``).
- ``syncer.py`` reads repositories in the background, outside any consumer's transaction; ``catalog.py``
  is the in-memory read model queries answer from.
- Pure parsing beside ``domain.py``: ``index.py``, ``charts.py``, ``chart_annotations.py``, ``semver.py``,
  ``values.py``.
"""

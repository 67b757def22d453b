"""QuickOn audit service: the hash-chained log of every event: verify, query, checkpoints.

Shape: ``app.py`` (wiring), ``queries.py``, ``settings.py``, ``migrations/``, as every service. Exceptions:

- No ``handlers.py``: the audit log records every message on the stream, even one no contract decodes,
  so its intake is not ``Service.handles`` but its own durable consumer, ``stream_reader.py`` (which
  ``intake.py`` turns each message into an entry for).
- No ``domain.py``: the pure rules are the log's cryptography, one module each: ``canonical.py``
  (encoding and hashes), ``merkle.py``, ``proofs.py``, ``intake.py``; ``offline.py`` is a standalone
  checker with the standard library only, shipped to users.
- No ``adapters/``: its adapters sit at the top level, named for what they hold: ``appender.py`` and
  ``retention.py`` (the log's tables), ``triggers.py`` (database triggers), ``checkpoint_store.py``
  (the object store), ``signing.py`` (the key file), ``scan.py`` and ``verify.py`` (a plain driver
  connection, for speed).
- The signer is built while wiring (``Signer.load`` reads, or on first start makes, the key
  file): the log, the checkpoint writer and the queries are built around it. Tests and benchmarks
  reach the parts through ``app.build()``.
"""

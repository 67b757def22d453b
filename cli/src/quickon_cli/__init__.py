"""``qc``: the QuickOn command line, a client of the gateway's HTTP API; ``qc up`` runs the platform."""

# The one place the version is written: the package's metadata reads it from here (pyproject.toml's
# tool.hatch.version), so `qc --version` need not load importlib.metadata (about 50 ms at every start).
__version__ = "0.1.0"

"""``qc``: the QuickOn command line, a client of the gateway's HTTP API; ``qc up`` runs the platform."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("quickon-cli")
except PackageNotFoundError:  # run from a checkout that was never installed
    __version__ = "0.0.0"

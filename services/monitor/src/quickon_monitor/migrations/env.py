"""Alembic's environment for the monitor database."""

from quickon_common.migrations import run_environment
from quickon_monitor.migrations import MIGRATIONS

run_environment(MIGRATIONS)

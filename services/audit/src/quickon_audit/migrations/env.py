"""Alembic's environment for the audit database."""

from quickon_audit.migrations import MIGRATIONS
from quickon_common.migrations import run_environment

run_environment(MIGRATIONS)

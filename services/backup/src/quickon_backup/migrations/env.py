"""Alembic's environment for the backup database."""

from quickon_backup.migrations import MIGRATIONS
from quickon_common.migrations import run_environment

run_environment(MIGRATIONS)

"""Alembic's environment for the deployer database."""

from quickon_common.migrations import run_environment
from quickon_deployer.migrations import MIGRATIONS

run_environment(MIGRATIONS)

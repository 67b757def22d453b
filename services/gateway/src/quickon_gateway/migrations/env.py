"""Alembic's environment for the gateway database."""

from quickon_common.migrations import run_environment
from quickon_gateway.migrations import MIGRATIONS

run_environment(MIGRATIONS)

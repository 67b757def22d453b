"""Alembic's environment for the market database."""

from quickon_common.migrations import run_environment
from quickon_market.migrations import MIGRATIONS

run_environment(MIGRATIONS)

"""Alembic's environment for the tally test service's database."""

from quickon_common.migrations import run_environment
from support.tally import MIGRATIONS

run_environment(MIGRATIONS)

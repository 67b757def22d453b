"""The tables every service's database holds besides its own: the outbox, the inbox and the leases.

Each service's first revision calls :func:`create_outbox_and_inbox`, so that the six first revisions
do not repeat them. This is a frozen picture of the tables as wave 1 made them: a later change to
them is a new function here, called from a new revision of every service, never an edit of this one.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


def create_outbox_and_inbox() -> None:
    """Create ``qc_outbox`` and ``qc_inbox`` as :class:`~quickon_common.outbox.OutboxRecord` and
    :class:`~quickon_common.inbox.InboxRecord` described them when migrations began, unless another
    service sharing the database made them already."""
    present = set(sa.inspect(op.get_bind()).get_table_names())
    if "qc_outbox" not in present:
        _create_outbox()
    if "qc_inbox" not in present:
        _create_inbox()


def _create_outbox() -> None:
    op.create_table(
        "qc_outbox",
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("subject", sa.String(length=255), nullable=False),
        sa.Column("headers", sa.String(), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("position"),
        sa.UniqueConstraint("event_id"),
    )


def _create_inbox() -> None:
    op.create_table(
        "qc_inbox",
        sa.Column("consumer", sa.String(length=128), nullable=False),
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("consumer", "event_id"),
    )


def create_lease_table() -> None:
    """Create ``qc_lease`` as :class:`~quickon_common.leases.LeaseRecord` described it when replicas began
    to share a service's work (wave 2), unless another service sharing the database made it already."""
    if "qc_lease" in set(sa.inspect(op.get_bind()).get_table_names()):
        return
    op.create_table(
        "qc_lease",
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("holder", sa.String(length=128), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )


def add_saga_owner(table: str) -> None:
    """Give a saga table the owner and the lease of :class:`~quickon_common.saga.SagaRecord` (wave 2)."""
    with op.batch_alter_table(table) as batch:
        batch.add_column(sa.Column("owner", sa.String(length=128), nullable=True))
        batch.add_column(sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True))

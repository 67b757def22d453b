"""Wiring of the monitor service: its tables, consumers, queries and workers."""

from __future__ import annotations

from quickon_common.egress import Allowance
from quickon_common.sealing import Sealer
from quickon_common.service import Service
from quickon_common.settings import Settings

from .migrations import MIGRATIONS
from .notify import handlers as notify_handlers
from .notify import queries as notify_queries
from .notify.adapters.senders import Sender, smtp_tls
from .notify.delivery import DeliveryWorker
from .notify.settings import NotifySettings


def create_service(settings: Settings | None = None, notify: NotifySettings | None = None) -> Service:
    """The monitor service, ready to run."""
    service = Service("monitor", settings=settings, migrations=MIGRATIONS)
    notify = notify or NotifySettings()
    sealer = Sealer.platform(service.settings)
    allowance = Allowance.of(service.settings.notify_allowed_hosts)
    sender = Sender(timeout_s=notify.timeout_s, allowance=allowance, tls=smtp_tls(notify.smtp_ca_file))
    worker = DeliveryWorker(service.outbox, sender, sealer, notify, service.settings.public_url)
    notify_handlers.register(service, sealer=sealer, wake=worker.wake)
    notify_queries.register(service, worker=worker)
    service.runs(worker.run)
    service.runs(worker.prune_periodically)
    return service

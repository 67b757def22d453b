"""NATS seen through nats-server's own monitoring endpoint (``/healthz``, ``/varz``, ``/jsz``: JSON), as series
on the monitor's /metrics. Prometheus cannot read that JSON, and the exporter that translates it
(prometheus-nats-exporter) is not packaged here; ``qc up`` runs nats-server with the endpoint on and names
it (``QC_MONITOR_NATS_MONITOR_URL``). On a cluster whose operator scrapes NATS with that exporter, leave it unset.

Every replica of the monitor reports the same server: rules take the ``max`` of the series.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import httpx
from prometheus_client import Gauge

log = logging.getLogger(__name__)


def _gauge(name: str, documentation: str) -> Gauge:
    # Labelled with the server's endpoint: a labelled series shows only once it is set, so a monitor that watches
    # no server (the variable unset) says nothing of NATS rather than that it is down.
    return Gauge(name, documentation, ("server",))


UP = _gauge("quickon_nats_up", "1 when nats-server's monitoring endpoint said it is healthy at the last look, else 0")
GAUGES = {
    "connections": _gauge("quickon_nats_connections", "clients connected to nats-server"),
    "slow_consumers": _gauge("quickon_nats_slow_consumers", "clients nats-server found too slow (since it started)"),
    "memory_bytes": _gauge("quickon_nats_memory_bytes", "the memory nats-server's process holds"),
    "storage_bytes": _gauge("quickon_nats_jetstream_storage_bytes", "what JetStream stores on disk"),
    "storage_limit_bytes": _gauge("quickon_nats_jetstream_storage_limit_bytes", "the most JetStream may store on disk"),
    "messages": _gauge("quickon_nats_jetstream_messages", "messages JetStream's streams hold"),
    "consumers": _gauge("quickon_nats_jetstream_consumers", "JetStream consumers"),
    "api_errors": _gauge("quickon_nats_jetstream_api_errors", "JetStream API requests that failed (since it started)"),
}


def read(varz: dict[str, Any], jsz: dict[str, Any]) -> dict[str, float]:
    """The numbers worth watching, from the server's ``/varz`` and ``/jsz`` answers."""
    jetstream = varz.get("jetstream") or {}
    return {
        "connections": float(varz.get("connections", 0)),
        "slow_consumers": float(varz.get("slow_consumers", 0)),
        "memory_bytes": float(varz.get("mem", 0)),
        "storage_bytes": float((jetstream.get("stats") or {}).get("storage", jsz.get("storage", 0))),
        "storage_limit_bytes": float((jetstream.get("config") or {}).get("max_storage", 0)),
        "messages": float(jsz.get("messages", 0)),
        "consumers": float(jsz.get("consumers", 0)),
        "api_errors": float((jsz.get("api") or {}).get("errors", 0)),
    }


async def look(http: httpx.AsyncClient) -> dict[str, float] | None:
    """The server's numbers, or None when it is not healthy or does not answer."""
    try:
        health = await http.get("/healthz")
        if health.status_code != 200:
            return None
        varz, jsz = (await http.get("/varz")).json(), (await http.get("/jsz")).json()
    except (httpx.HTTPError, ValueError) as error:
        log.debug("nats-server's monitoring endpoint did not answer: %s", error)
        return None
    return read(varz, jsz)


async def watch_nats(url: str, *, interval_s: float) -> None:
    """Look at the server every ``interval_s`` until cancelled; its series say what was seen last."""
    async with httpx.AsyncClient(base_url=url, timeout=5, trust_env=False) as http:
        while True:
            found = await look(http)
            UP.labels(url).set(0 if found is None else 1)
            for name, value in (found or {}).items():
                GAUGES[name].labels(url).set(value)
            await asyncio.sleep(interval_s)

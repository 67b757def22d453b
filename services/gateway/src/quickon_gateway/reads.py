"""Reads go to the owning service over NATS request/reply; when it does not answer, a 503 says why.

The gateway holds no copy of another service's data: each read is a query
(``qc.query.<service>.<name>``) answered from the owner's own database. A refusal in the reply
(``{"error": {"status", "detail", …}}``) becomes the same status here.
"""

from __future__ import annotations

import json
from typing import Any

from nats.errors import ConnectionClosedError, NoRespondersError
from nats.errors import TimeoutError as NatsTimeoutError

from quickon_common.service import QUERY_PREFIX, Service

from .problems import Problem


class Reads:
    """Ask a service a question, with a deadline."""

    def __init__(self, service: Service, *, timeout_s: float) -> None:
        self.service = service
        self.timeout_s = timeout_s

    async def ask(
        self, owner: str, query: str, body: dict[str, Any] | None = None, *, timeout_s: float | None = None
    ) -> dict[str, Any]:
        """The owner's answer, or a :class:`Problem` with the owner's refusal or why nobody answered.

        ``timeout_s`` replaces the usual deadline for a query known to take longer (a chart upload)."""
        timeout_s = timeout_s or self.timeout_s
        connection = self.service.nats
        if connection is None or not connection.is_connected:
            raise Problem(
                503,
                f"the gateway is not connected to NATS at {self.service.settings.nats_url} yet; reads resume by "
                "themselves once it is back: try again shortly",
            )
        subject = f"{QUERY_PREFIX}.{owner}.{query}"
        try:
            reply = await connection.request(subject, json.dumps(body or {}).encode(), timeout=timeout_s)
        except NoRespondersError:
            raise Problem(
                503, f"the {owner} service is not running, so it cannot answer; start it (qc up restarts it) and retry"
            ) from None
        except NatsTimeoutError:
            raise Problem(
                503, f"the {owner} service did not answer within {timeout_s:g}s; it may be overloaded: retry"
            ) from None
        except ConnectionClosedError:
            raise Problem(503, "the connection to NATS closed during the read; retry") from None
        answer = json.loads(reply.data)
        if isinstance(answer, dict) and isinstance(error := answer.get("error"), dict):
            status = int(error.get("status", 502))
            extra = {k: v for k, v in error.items() if k not in ("status", "detail")}
            raise Problem(status if 400 <= status < 600 else 502, str(error.get("detail", "")), **extra)
        if not isinstance(answer, dict):
            raise Problem(502, f"the {owner} service answered {query} with something that is not an object")
        return answer

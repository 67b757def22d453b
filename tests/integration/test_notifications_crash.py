"""The monitor process SIGKILLed between an alert and its delivery, at one of two moments: just before the
send (the delivery was recorded with the event, nothing sent yet), or just after the receiver answered and
before that was recorded. After the restart the delivery goes out (again, in the second case, with the same
event id and idempotency key, so a receiver that de-duplicates sees it once), and the delivery log has one
delivery, delivered, never sent once more. Each database takes one moment: a process start costs seconds on
a loaded machine, and the moments, not the databases, are what differ."""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path

from nats.errors import NoRespondersError

from quickon_common.natsserver import NatsServer
from support.bus import declare_stream, eventually, query, wait_frozen
from support.monitor import fire, receiver, save_channel, sealer, signature_ok, start_monitor

SECRET = "crash-secret"
MOMENT = {"sqlite": "before_send", "postgresql": "after_send"}


async def test_a_monitor_killed_around_a_send_delivers_once_after_restart(
    nats_server: NatsServer, database_url: str, tmp_path: Path
) -> None:
    url, log = nats_server.url, tmp_path / "monitor.log"
    moment = MOMENT[database_url.split(":")[0].split("+")[0]]
    await declare_stream(url)
    async with receiver() as http:
        process = start_monitor(url, database_url, tmp_path, log, failpoints=[moment])
        try:
            channel = await save_channel(url, sealer(tmp_path), team="team-a", name="hook", kind="webhook",
                                         target={"url": http.url("/hook"), "secret": SECRET}, timeout_s=90)  # fmt: skip
            alert = await fire(url, team="team-a")
            await wait_frozen(process, f"the failpoint {moment}")
            process.send_signal(signal.SIGKILL)
            process.wait()
            assert len(http.on("/hook")) == (0 if moment == "before_send" else 1)

            process = start_monitor(url, database_url, tmp_path, log)
            body = {"channel_id": channel, "caller": {"is_admin": True}}

            async def delivered() -> bool:
                try:
                    answer = await query(url, "qc.query.monitor.deliveries", body, timeout_s=5)
                except NoRespondersError:  # the process is not listening yet
                    return False
                return [d["state"] for d in answer.get("deliveries", [])] == ["delivered"]

            await eventually(delivered, timeout_s=90, what="the delivery recorded delivered")
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
    sent = http.on("/hook")
    assert len(sent) == (1 if moment == "before_send" else 2)
    assert {r.headers["X-QuickOn-Event-Id"] for r in sent} == {alert.id}
    assert {r.headers["Idempotency-Key"] for r in sent} == {f"{alert.id}:{channel}"}
    assert all(signature_ok(r, SECRET) for r in sent)

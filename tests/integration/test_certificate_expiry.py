"""An uploaded certificate close to its end raises the monitor's "certificate expiring" rule: the deployer
exports when each uploaded certificate expires, a real Prometheus scrapes it, and the rule's own query (the
built-in template, 14 days) finds the one that ends in ten days and not the one that ends in a year."""

from __future__ import annotations

from pathlib import Path

from quickon_common.certificates import self_signed
from quickon_common.contracts.deploy import AppInstalled, AppInstallRequested
from quickon_common.contracts.exposure import Domain, Exposure, ServiceExposed, ServiceExposureRequested
from quickon_common.contracts.monitor import RuleSpec
from quickon_common.natsserver import NatsServer
from quickon_monitor.promql import render
from support.deployer import finished, outcome, request
from support.monitor import sealer
from support.prometheus import promql, scraped_sim, until

NS = "team-a"


async def test_an_uploaded_certificate_near_its_end_is_found_by_the_expiring_rule(
    nats_server: NatsServer, tmp_path: Path
) -> None:
    url = nats_server.url
    seal = sealer(tmp_path)
    rule = render(RuleSpec(name="CertificateExpiring", template="certificate_expiring", params={"days": 14},
                           severity="warning", summary="certificate {{ $labels.name }} expires"))  # fmt: skip
    async with scraped_sim(url, tmp_path) as sim:
        op = await request(url, AppInstallRequested(service="forge", namespace=NS, app="gitea", version="1.1.1"))
        assert isinstance(outcome(await finished(url, op)), AppInstalled)
        soon_cert, soon_key = self_signed("git.example.com", days=10)
        later_cert, later_key = self_signed("code.example.com", days=365)
        exposure = Exposure(domains=[
            Domain(host="git.example.com", primary=True, tls="uploaded", certificate=soon_cert),
            Domain(host="code.example.com", tls="uploaded", certificate=later_cert),
        ])  # fmt: skip
        keys = seal.seal({"git.example.com": soon_key, "code.example.com": later_key})
        op = await request(url, ServiceExposureRequested(service="forge", namespace=NS, exposure=exposure,
                                                         sealed_keys=keys))  # fmt: skip
        assert isinstance(outcome(await finished(url, op)), ServiceExposed)

        metric = "quickon_certificate_expiration_timestamp_seconds"
        await until(sim.api, f"count({metric}) == 2", what="both certificates' expiry scraped")
        firing = await promql(sim.api, rule)
        assert [(s["metric"]["namespace"], s["metric"]["name"], s["metric"]["service"]) for s in firing] == [
            (NS, "git.example.com", "forge")
        ]
        assert 9.9 < float(firing[0]["value"][1]) <= 10

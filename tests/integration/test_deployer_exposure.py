"""Reaching a service, through the deployer on the sim runtime against a real nats-server and both databases:
the default address every web app gets on the platform's base domain, custom domains with an uploaded
certificate, basic authentication and the firewall set as one operation, what is refused (changing nothing),
the secrets kept sealed and never on the bus in clear, and everything removed with the service."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

from quickon_common.certificates import self_signed
from quickon_common.contracts.deploy import AppInstalled, AppInstallRequested, AppUninstalled, AppUninstallRequested
from quickon_common.contracts.exposure import (
    AccessSettings,
    Domain,
    Exposure,
    Protection,
    ServiceExposed,
    ServiceExposeFailed,
    ServiceExposureRequested,
    WafSettings,
)
from quickon_common.natsserver import NatsServer
from quickon_deployer.exposure.ingress import tls_secret_name
from quickon_deployer.runtime.simulated import SimRuntime
from support.bus import stream_messages
from support.deployer import ask, finished, outcome, platform, request
from support.monitor import sealer

NS = "team-a"
BASE = "apps.example.com"
DEFAULT = f"https://forge-{NS}.{BASE}"
HASH = "$2b$12$abcdefghijklmnopqrstuuJ4t6f3sYzYp1Ck0cP3pQyQ2yQ0Yx8jS"  # a bcrypt hash, as the gateway makes them


async def held(runtime: SimRuntime, release: str) -> dict[tuple[str, str], dict[str, Any]]:
    return {(o["kind"], o["metadata"]["name"]): o for o in await runtime.exposure(namespace=NS, release=release)}


async def expose(url: str, service: str, exposure: Exposure, **sealed: str | None) -> Any:
    op = await request(url, ServiceExposureRequested(service=service, namespace=NS, exposure=exposure, **sealed))
    return outcome(await finished(url, op))


async def test_a_service_is_reached_at_its_domains_protected_and_everything_goes_with_it(
    nats_server: NatsServer, database_url: str, tmp_path: Path
) -> None:
    url = nats_server.url
    seal = sealer(tmp_path)
    async with platform(url, database_url, tmp_path, base_domain=BASE) as deployer:
        runtime = deployer.runtime
        assert isinstance(runtime, SimRuntime)

        # A web app gets its default address on the base domain at install; a database gets none.
        op = await request(url, AppInstallRequested(service="forge", namespace=NS, app="gitea", version="1.1.1"))
        assert isinstance(outcome(await finished(url, op)), AppInstalled)
        detail = await ask(url, "service", namespace=NS, service="forge")
        assert (detail["urls"], detail["web"]) == ([DEFAULT], "forge-gitea:3000")
        assert set(await held(runtime, "forge")) == {
            ("Ingress", "forge"), ("Secret", tls_secret_name("forge", f"forge-{NS}.{BASE}")),
        }  # fmt: skip
        op = await request(url, AppInstallRequested(service="cache", namespace=NS, app="redis", version="1.0.0"))
        assert isinstance(outcome(await finished(url, op)), AppInstalled)
        assert (await ask(url, "service", namespace=NS, service="cache"))["urls"] == []
        assert await held(runtime, "cache") == {}

        # Refused at once, nothing changed: a domain for a service with no web page, a certificate for another
        # host, an uploaded certificate without its key, a user without a password, single sign-on the operator
        # has not configured, a host another service answers on (here its default address).
        git_cert, git_key = self_signed("git.example.com")
        other_cert, other_key = self_signed("other.example.com")
        keys = seal.seal({"git.example.com": git_key})
        refusals = [
            ("cache", Exposure(domains=[Domain(host="cache.example.com")]), {}, "no web page"),
            ("forge", Exposure(domains=[Domain(host="git.example.com", tls="uploaded", certificate=other_cert)]),
             {"sealed_keys": seal.seal({"git.example.com": other_key})}, "does not cover git.example.com"),
            ("forge", Exposure(domains=[Domain(host="git.example.com", tls="uploaded", certificate=git_cert)]),
             {}, "private key"),
            ("forge", Exposure(protection=Protection(access=AccessSettings(basic_auth_users=["ops"]))), {},
             "have no password"),
            ("forge", Exposure(protection=Protection(access=AccessSettings(sso=True))), {},
             "QC_DEPLOYER_FORWARD_AUTH_URL"),
            ("forge", Exposure(domains=[Domain(host=f"cache-{NS}.{BASE}", tls="none")]), {},
             f"cache-{NS}.{BASE} already routes to cache in {NS}"),
        ]  # fmt: skip
        before = await held(runtime, "forge")
        for service, exposure, given, reason in refusals:
            refused = await expose(url, service, exposure, **given)
            assert isinstance(refused, ServiceExposeFailed) and refused.step == "accept", refused
            assert reason in refused.reason, refused.reason
        assert await held(runtime, "forge") == before

        # Domains (the primary one with an uploaded certificate), basic auth and the firewall, in one operation.
        wanted = Exposure(
            domains=[
                Domain(host="code.example.com", tls="none"),
                Domain(host="git.example.com", primary=True, tls="uploaded", certificate=git_cert),
            ],
            protection=Protection(
                waf=WafSettings(mode="block", paranoia=2),
                access=AccessSettings(allow=["10.0.0.0/8"], basic_auth_users=["ops"]),
            ),
        )
        done = await expose(url, "forge", wanted, sealed_keys=keys, sealed_passwords=seal.seal({"ops": HASH}))
        assert isinstance(done, ServiceExposed), done
        assert done.urls == ["https://git.example.com", "http://code.example.com", DEFAULT]
        found = await held(runtime, "forge")
        annotations = found[("Ingress", "forge")]["metadata"]["annotations"]
        assert annotations["nginx.ingress.kubernetes.io/whitelist-source-range"] == "10.0.0.0/8"
        assert "SecRuleEngine On" in annotations["nginx.ingress.kubernetes.io/modsecurity-snippet"]
        assert base64.b64decode(found[("Secret", "forge-basic-auth")]["data"]["auth"]).decode() == f"ops:{HASH}\n"
        tls = found[("Secret", tls_secret_name("forge", "git.example.com"))]["data"]
        assert base64.b64decode(tls["tls.key"]).decode() == git_key
        assert [r["host"] for r in found[("Ingress", "forge-redirect")]["spec"]["rules"]] == [
            "code.example.com", f"forge-{NS}.{BASE}",
        ]  # fmt: skip
        detail = await ask(url, "service", namespace=NS, service="forge")
        assert detail["urls"] == done.urls and Exposure.model_validate(detail["exposure"]) == wanted
        assert git_key not in json.dumps(detail) and HASH not in json.dumps(detail)

        # Changed again without the key and the password: the ones kept are used; the default address's
        # self-signed certificate is the same one (kept, not made anew at every change).
        default_tls = tls_secret_name("forge", f"forge-{NS}.{BASE}")
        first = found[("Secret", default_tls)]["data"]["tls.crt"]
        loosened = Exposure(
            domains=[
                Domain(host="code.example.com", tls="none"),
                Domain(host="git.example.com", primary=True, tls="uploaded"),  # the certificate kept, as the key
            ],
            protection=Protection(access=AccessSettings(basic_auth_users=["ops"])),
        )
        assert isinstance(await expose(url, "forge", loosened), ServiceExposed)
        found = await held(runtime, "forge")
        assert base64.b64decode(found[("Secret", "forge-basic-auth")]["data"]["auth"]).decode() == f"ops:{HASH}\n"
        assert (
            base64.b64decode(found[("Secret", tls_secret_name("forge", "git.example.com"))]["data"]["tls.key"]).decode()
            == git_key
        )
        assert found[("Secret", default_tls)]["data"]["tls.crt"] == first
        kept = Exposure.model_validate((await ask(url, "service", namespace=NS, service="forge"))["exposure"])
        assert kept.domains[1].certificate == git_cert
        assert (
            "nginx.ingress.kubernetes.io/whitelist-source-range"
            not in found[("Ingress", "forge")]["metadata"]["annotations"]
        )

        # Neither the key nor the password hash ever crossed the bus in clear.
        everything = b"".join(m.data for m in await stream_messages(url, "qc.deploy.>"))
        assert git_key.encode() not in everything and HASH.encode() not in everything

        # Uninstalled: what reached it goes too.
        op = await request(url, AppUninstallRequested(service="forge", namespace=NS))
        assert isinstance(outcome(await finished(url, op)), AppUninstalled)
        assert await held(runtime, "forge") == {}

"""``qc url``, ``qc domain list|add|remove``, ``qc access`` and ``qc waf``: how a service is reached.

The gateway sets a service's exposure whole (what a request does not list is removed), so every change
here reads the current one, changes it and sends all of it back. What the gateway never shows, it keeps
when it is sent without: a domain with an uploaded certificate goes back without certificate and key,
a basic-auth user without a password, and the deployer keeps the ones it stored.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path
from typing import Any

from .. import args as shared
from .. import output
from ..context import Context, UsageError
from .base import command, submitted

WAF_MODES = ("off", "detect", "block")


def _path(ctx: Context) -> str:
    return f"/api/v1/services/{ctx.args.name}/exposure"


def _current(ctx: Context) -> dict[str, Any]:
    """The service's exposure, URLs and web entry, as the gateway shows them."""
    found: dict[str, Any] = ctx.client.get(_path(ctx), namespace=ctx.namespace)
    return found


def _body(exposure: dict[str, Any]) -> dict[str, Any]:
    """A request that sets ``exposure`` as it is: uploaded certificates and passwords kept where they are."""
    domains = [{"host": d["host"], "primary": d.get("primary", False), "tls": d.get("tls", "auto")}
               for d in exposure.get("domains") or []]  # fmt: skip
    return {"domains": domains, "protection": exposure.get("protection") or {}, "passwords": {}}


def _send(ctx: Context, body: dict[str, Any]) -> int:
    return submitted(ctx, ctx.client.put(_path(ctx), body, namespace=ctx.namespace))


def _no_address(name: str, web: Any) -> list[str]:
    if not web:
        return [f"error: {name} has no web page (its chart serves none), so it has no URL",
                f"  (reach it from inside the cluster; see qc status {name})"]  # fmt: skip
    return [
        f"error: {name} has no address yet",
        f"  give it a domain: qc domain add {name} HOST (then point HOST's DNS at the ingress),",
        "  or ask the operator to set QC_BASE_DOMAIN, which gives every service NAME.<base domain>",
    ]


def url(ctx: Context) -> int:
    """The service's URLs, the primary one first; exit 1 when it has none."""
    found = _current(ctx)
    urls = [str(u) for u in found.get("urls") or []]
    if ctx.json:
        output.emit_json({"urls": urls, "web": found.get("web")})
    if not urls:
        output.say_error(_no_address(ctx.args.name, found.get("web")))
        return 1
    if not ctx.json:
        print("\n".join(urls), flush=True)
    return 0


def domain_list(ctx: Context) -> int:
    found = _current(ctx)
    domains = found.get("exposure", {}).get("domains") or []
    rows = [[d.get("host"), "yes" if d.get("primary") else "", d.get("tls")] for d in domains]
    text = (
        output.table(["domain", "primary", "tls"], rows)
        if rows
        else f"{ctx.args.name} has no domains of its own. Add one: qc domain add {ctx.args.name} HOST"
    )
    ctx.show(found, text + ("\n\nURLs: " + ", ".join(found["urls"]) if found.get("urls") else ""))
    return 0


def _read(path: str, what: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise UsageError(f"cannot read the {what} file {path}: {error}") from None


def domain_add(ctx: Context) -> int:
    """Add a domain, or change one already there (a renewed certificate, primary, TLS)."""
    a = ctx.args
    if (a.cert is None) != (a.key is None):
        raise UsageError("give --cert and --key together (the certificate chain and its private key)")
    if a.no_tls and a.cert:
        raise UsageError("--no-tls serves plain HTTP; drop it to use --cert and --key")
    domain: dict[str, Any] = {"host": a.host, "primary": a.primary, "tls": "none" if a.no_tls else "auto"}
    if a.cert:
        domain.update(tls="uploaded", certificate=_read(a.cert, "certificate"), key=_read(a.key, "key"))
    body = _body(_current(ctx).get("exposure") or {})
    host = a.host.strip().lower().rstrip(".")
    kept = [d for d in body["domains"] if d["host"] != host]
    if a.primary:
        kept = [{**d, "primary": False} for d in kept]
    else:  # an existing domain stays primary unless told otherwise
        domain["primary"] = any(d["primary"] for d in body["domains"] if d["host"] == host)
    body["domains"] = [*kept, domain]
    return _send(ctx, body)


def domain_remove(ctx: Context) -> int:
    body = _body(_current(ctx).get("exposure") or {})
    host = ctx.args.host.strip().lower().rstrip(".")
    hosts = [d["host"] for d in body["domains"]]
    if host not in hosts:
        name = ctx.args.name
        output.say_error([f"error: {name} has no domain {host}", f"  its domains: {', '.join(hosts) or 'none'}"
                          f" (qc domain list {name})"])  # fmt: skip
        return 1
    body["domains"] = [d for d in body["domains"] if d["host"] != host]
    return _send(ctx, body)


def _password(ctx: Context, user: str) -> str:
    """``user``'s new password: the first line of --password-file, else asked twice at the terminal."""
    if ctx.args.password_file:
        lines = _read(ctx.args.password_file, "password").splitlines()
        if not lines or not lines[0]:
            raise UsageError(f"{ctx.args.password_file} is empty; put {user}'s password on its first line")
        return lines[0]
    if not sys.stdin.isatty():
        raise UsageError(f"there is no terminal to ask {user}'s password at; give it with --password-file FILE")
    password = getpass.getpass(f"Password for {user}: ")
    if getpass.getpass("Again: ") != password:
        raise UsageError("the two passwords differ")
    return password


def _unique(items: list[Any], more: list[Any]) -> list[Any]:
    return [*items, *(x for x in more if x not in items)]


def access(ctx: Context) -> int:
    """Who may reach the service: shown without options; else the options are added to what is set
    (--clear: to nothing)."""
    a = ctx.args
    if a.password_file and len(a.basic_auth) != 1:
        raise UsageError("--password-file gives one user's password: name exactly one --basic-auth USER")
    found = _current(ctx)
    body = _body(found.get("exposure") or {})
    before = body["protection"].get("access") or {}
    if not (a.allow or a.deny or a.basic_auth or a.sso or a.clear):
        listed = {key: ", ".join(before.get(key) or []) for key in ("allow", "deny", "basic_auth_users")}
        text = output.fields([
            ("allow", listed["allow"] or "anyone"), ("deny", listed["deny"]),
            ("basic auth", listed["basic_auth_users"]), ("sso", "yes" if before.get("sso") else ""),
        ])  # fmt: skip
        ctx.show(before, text)
        return 0
    start: dict[str, Any] = {} if a.clear else before
    body["protection"]["access"] = {
        "allow": _unique(list(start.get("allow") or []), a.allow),
        "deny": _unique(list(start.get("deny") or []), a.deny),
        "basic_auth_users": _unique(list(start.get("basic_auth_users") or []), a.basic_auth),
        "sso": a.sso or bool(start.get("sso")),
    }
    body["passwords"] = {user: _password(ctx, user) for user in a.basic_auth}
    return _send(ctx, body)


def waf(ctx: Context) -> int:
    a = ctx.args
    body = _body(_current(ctx).get("exposure") or {})
    before = body["protection"].get("waf") or {}
    body["protection"]["waf"] = {
        "mode": a.mode,
        "paranoia": a.paranoia if a.paranoia is not None else before.get("paranoia", 1),
        "exclusions": _unique(list(before.get("exclusions") or []), a.exclude),
    }
    return _send(ctx, body)


def paranoia(text: str) -> int:
    try:
        level = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a paranoia level; give 1, 2, 3 or 4") from None
    if not 1 <= level <= 4:
        raise argparse.ArgumentTypeError(
            f"{level} is not a paranoia level; give 1 (fewest false positives) to 4 (strictest)"
        )
    return level


def _service(parser: argparse.ArgumentParser, *, change: bool) -> None:
    parser.add_argument("name", metavar="NAME")
    shared.add_namespace(parser)
    if change:
        shared.add_wait(parser)


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser) -> None:
    parents = [common]
    _service(command(commands, "url", url, parents=parents, help="a service's URLs, the primary one first"),
             change=False)  # fmt: skip

    domains = commands.add_parser("domain", help="a service's domains", description="A service's own domains.")
    actions = domains.add_subparsers(dest="action", required=True, metavar="ACTION")
    _service(command(actions, "list", domain_list, parents=parents, help="a service's domains"), change=False)
    add = command(
        actions, "add", domain_add, parents=parents,
        help="add a domain (or change one: primary, TLS, a renewed certificate)",
        description="Add a domain to a service, or change one it has. TLS: a certificate from the platform's "
        "issuer unless --cert/--key upload one or --no-tls serves plain HTTP.",
    )  # fmt: skip
    _service(add, change=True)
    add.add_argument("host", metavar="HOST", help="a host name such as shop.example.com")
    add.add_argument("--primary", action="store_true", help="serve here; the other domains redirect here")
    add.add_argument("--cert", metavar="FILE", help="the PEM certificate chain, the host's own first")
    add.add_argument("--key", metavar="FILE", help="its unencrypted PEM private key (sent sealed, never shown)")
    add.add_argument("--no-tls", action="store_true", help="plain HTTP, no certificate")
    remove = command(actions, "remove", domain_remove, parents=parents, help="remove a domain from a service")
    _service(remove, change=True)
    remove.add_argument("host", metavar="HOST")

    who = command(
        commands, "access", access, parents=parents, help="who may reach a service (shown without options)",
        description="Who may reach a service through its ingress. Without options: what is set. The options are "
        "added to what is set; --clear starts from nothing (alone: anyone may reach it).",
    )  # fmt: skip
    _service(who, change=True)
    who.add_argument("--allow", action="append", default=[], metavar="CIDR", help="only these networks (repeatable)")
    who.add_argument("--deny", action="append", default=[], metavar="CIDR", help="refuse these networks (repeatable)")
    who.add_argument(
        "--basic-auth", action="append", default=[], metavar="USER",
        help="a user who signs in with a password (asked; repeatable); an existing user gets a new password",
    )  # fmt: skip
    who.add_argument("--password-file", metavar="FILE", help="the --basic-auth user's password: the file's first line")
    who.add_argument("--sso", action="store_true", help="sign in through the platform's single sign-on")
    who.add_argument("--clear", action="store_true", help="start from no restriction")

    firewall = command(
        commands, "waf", waf, parents=parents, help="a service's web application firewall (ModSecurity, OWASP CRS)",
        description="Set a service's firewall: off; detect (log what the rules match); block (refuse it, 403).",
    )  # fmt: skip
    _service(firewall, change=True)
    firewall.add_argument("mode", choices=WAF_MODES, help="off, detect or block")
    firewall.add_argument("--paranoia", type=paranoia, metavar="N", help="1-4: stricter rules, more false positives")
    firewall.add_argument(
        "--exclude", action="append", default=[], type=shared.positive_int, metavar="ID",
        help="a rule id not to apply to this service (repeatable; added to those excluded)",
    )  # fmt: skip

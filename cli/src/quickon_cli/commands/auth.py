"""``qc login``, ``qc logout``, ``qc whoami`` and ``qc token``: who qc acts as."""

from __future__ import annotations

import argparse
import getpass
import sys

from .. import config, output
from ..context import Context, UsageError
from ..errors import ApiError, Unreachable, problem_detail
from .base import command


def _password(ctx: Context) -> str:
    # Piped (or --password-stdin): the first line of stdin, so `echo $PW | qc login` works in scripts.
    if ctx.args.password_stdin or not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    return getpass.getpass("Password: ")


def _username(ctx: Context) -> str:
    if ctx.args.username:
        return str(ctx.args.username)
    known = ctx.config.username
    if sys.stdin.isatty() and not ctx.args.password_stdin:
        answer = input(f"Username [{known}]: " if known else "Username: ").strip()
        if answer or known:
            return answer or str(known)
    elif known:
        return known
    raise UsageError("give the user name with -u USER (the first administrator is admin)")


def login(ctx: Context) -> int:
    """Get a session token with a user name and password, and keep it in the config file."""
    url = (getattr(ctx.args, "url", None) or ctx.env.get("QC_URL") or ctx.config.url or config.DEFAULT_URL).rstrip("/")
    username = _username(ctx)
    password = _password(ctx)
    if not password:
        raise UsageError("no password given")
    try:
        with ctx.connect(url, None) as client:
            answer = client.request("POST", "/api/v1/auth/token", data={"username": username, "password": password})
    except ApiError as error:
        if error.status != 401:
            raise
        output.say_error([f"error: {problem_detail(401, error.problem)}", f"  (login to {url} as {username} refused)"])
        return 1
    config.save(ctx.config_path, config.Config(url=url, token=str(answer["access_token"]), username=username))
    expires = answer.get("expires_at")
    # The token itself is not echoed, even with --json: it is in the config file, owner-only.
    result = {"url": url, "username": username, "expires_at": expires, "config": str(ctx.config_path)}
    until = f", until {output.short_time(expires)}" if expires else ""
    ctx.show(result, f"Logged in to {url} as {username}{until} (token kept in {ctx.config_path})")
    return 0


def logout(ctx: Context) -> int:
    """Revoke the config file's token at the gateway and forget it here."""
    saved = ctx.config
    if not saved.token:
        ctx.show({"logged_out": False}, "Not logged in.")
        return 0
    url = saved.url or config.DEFAULT_URL
    warning = None
    try:
        with ctx.connect(url, saved.token) as client:
            client.delete("/api/v1/auth/tokens/current")
    except (ApiError, Unreachable) as error:  # forgotten here all the same
        warning = f"the gateway at {url} did not revoke the token ({error}); it is forgotten here anyway"
    config.save(ctx.config_path, config.Config(url=saved.url))
    if warning:
        output.say_error([f"warning: {warning}"])
    ctx.show({"logged_out": True, "url": url, "revoked": warning is None}, f"Logged out of {url}.")
    return 0


def whoami(ctx: Context) -> int:
    me = ctx.client.get("/api/v1/auth/me")
    role = "administrator" if me.get("is_admin") else "user"
    teams = ", ".join(f"{t.get('name')} ({t.get('role')})" for t in me.get("teams") or [])
    ctx.show(me, f"{me.get('username')} ({role}) at {ctx.target.url}" + (f"; teams: {teams}" if teams else ""))
    return 0


def token_create(ctx: Context) -> int:
    body: dict[str, object] = {"name": ctx.args.name}
    if ctx.args.expires_in_days is not None:
        body["expires_in_days"] = ctx.args.expires_in_days
    made = ctx.client.post("/api/v1/auth/tokens", body)
    expires = f", expires {output.short_time(made.get('expires_at'))}" if made.get("expires_at") else ""
    text = (
        f"Token {made.get('name')} created (id {made.get('token_id')}{expires}). It is shown only this once:\n"
        f"{made.get('token')}\nUse it with QC_TOKEN=<token> or --token <token>."
    )
    ctx.show(made, text)
    return 0


def token_list(ctx: Context) -> int:
    answer = ctx.client.get("/api/v1/auth/tokens")
    rows = [
        [
            t.get("token_id"),
            t.get("name"),
            t.get("kind"),
            output.short_time(t.get("created_at")),
            output.short_time(t.get("expires_at")),
            output.short_time(t.get("last_used_at")),
        ]
        for t in answer.get("tokens", [])
    ]
    ctx.show(answer, output.table(["id", "name", "kind", "created", "expires", "last used"], rows))
    return 0


def token_revoke(ctx: Context) -> int:
    ctx.client.delete(f"/api/v1/auth/tokens/{ctx.args.token_id}")
    ctx.show({"revoked": ctx.args.token_id}, f"Token {ctx.args.token_id} revoked.")
    return 0


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser) -> None:
    parents = [common]
    parser = command(commands, "login", login, parents=parents, help="log in and keep the token in the config file")
    parser.add_argument("-u", "--username", help="the user (the first administrator is admin)")
    parser.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    command(commands, "logout", logout, parents=parents, help="revoke the saved token and forget it")
    command(commands, "whoami", whoami, parents=parents, help="the user qc acts as")
    tokens = commands.add_parser("token", help="personal API tokens for scripts", description="Personal API tokens.")
    actions = tokens.add_subparsers(dest="action", required=True, metavar="ACTION")
    create = command(actions, "create", token_create, parents=parents, help="make a token (shown only once)")
    create.add_argument("name", help="what the token is for, e.g. ci-deploy")
    create.add_argument("--expires-in-days", type=int, metavar="DAYS", help="lifetime (default: the gateway's)")
    command(actions, "list", token_list, parents=parents, help="your tokens")
    revoke = command(actions, "revoke", token_revoke, parents=parents, help="revoke a token at once")
    revoke.add_argument("token_id", metavar="ID")

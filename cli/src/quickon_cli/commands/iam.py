"""``qc user …`` (platform admins) and ``qc team …``: who may do what, in which team."""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import Any

from .. import output
from ..context import Context, UsageError
from .base import command

ROLES = ("viewer", "operator", "admin", "owner")


def _new_password(ctx: Context) -> str:
    """A new password from stdin (piped, or --password-stdin) or asked twice at the terminal."""
    if ctx.args.password_stdin or not sys.stdin.isatty():
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass("New password: ")
        if getpass.getpass("Again: ") != password:
            raise UsageError("the two passwords differ")
    if not password:
        raise UsageError("no password given")
    return password


def _user_rows(users: list[Any]) -> list[list[Any]]:
    return [
        [
            u.get("username"),
            "yes" if u.get("is_admin") else "",
            "disabled" if u.get("disabled") else "active",
            ", ".join(f"{t.get('name')} ({t.get('role')})" for t in u.get("teams") or []),
            output.short_time(u.get("created_at")),
        ]
        for u in users
    ]


USER_HEADERS = ["user", "platform admin", "state", "teams", "created"]


def user_list(ctx: Context) -> int:
    answer = ctx.client.get("/api/v1/users")
    ctx.show(answer, output.table(USER_HEADERS, _user_rows(answer.get("users", []))))
    return 0


def user_add(ctx: Context) -> int:
    body = {"username": ctx.args.username, "password": _new_password(ctx), "is_admin": ctx.args.admin}
    made = ctx.client.post("/api/v1/users", body)
    ctx.show(
        made, f"User {made.get('username')} added. Add them to a team: qc team add-member TEAM {ctx.args.username}"
    )
    return 0


def user_show(ctx: Context) -> int:
    found = ctx.client.get(f"/api/v1/users/{ctx.args.username}")
    ctx.show(found, output.table(USER_HEADERS, _user_rows([found])))
    return 0


def _user_action(verb: str, done: str) -> Any:
    def act(ctx: Context) -> int:
        found = ctx.client.post(f"/api/v1/users/{ctx.args.username}/{verb}")
        ctx.show(found, f"User {ctx.args.username} {done}.")
        return 0

    return act


def user_password(ctx: Context) -> int:
    ctx.client.post(f"/api/v1/users/{ctx.args.username}/password", {"password": _new_password(ctx)})
    ctx.show({"reset": ctx.args.username}, f"Password of {ctx.args.username} reset; their tokens were revoked.")
    return 0


def user_delete(ctx: Context) -> int:
    ctx.client.delete(f"/api/v1/users/{ctx.args.username}")
    ctx.show({"deleted": ctx.args.username}, f"User {ctx.args.username} deleted.")
    return 0


def _team_line(team: Any) -> str:
    role = f", your role: {team['role']}" if team.get("role") else ""
    return f"{team.get('name')} (namespaces: {', '.join(team.get('namespaces') or []) or 'none'}{role})"


def team_list(ctx: Context) -> int:
    answer = ctx.client.get("/api/v1/teams")
    rows = [
        [t.get("name"), t.get("team"), ", ".join(t.get("namespaces") or []), t.get("role") or ""]
        for t in answer.get("teams", [])
    ]
    empty = "You are in no team yet; ask a team's admin to add you."
    ctx.show(answer, output.table(["team", "id", "namespaces", "your role"], rows) if rows else empty)
    return 0


def team_create(ctx: Context) -> int:
    body = {"name": ctx.args.team, **({"namespace": ctx.args.namespace} if ctx.args.namespace else {})}
    made = ctx.client.post("/api/v1/teams", body)
    ctx.show(made, f"Team {_team_line(made)} created.")
    return 0


def team_show(ctx: Context) -> int:
    found = ctx.client.get(f"/api/v1/teams/{ctx.args.team}")
    members = ctx.client.get(f"/api/v1/teams/{ctx.args.team}/members")
    rows = [[m.get("username"), m.get("role")] for m in members.get("members", [])]
    ctx.show({**found, **members}, f"Team {_team_line(found)}\n\n" + output.table(["member", "role"], rows))
    return 0


def team_rename(ctx: Context) -> int:
    renamed = ctx.client.patch(f"/api/v1/teams/{ctx.args.team}", {"name": ctx.args.new_name})
    ctx.show(renamed, f"Team {ctx.args.team} is now called {renamed.get('name')}.")
    return 0


def team_delete(ctx: Context) -> int:
    ctx.client.delete(f"/api/v1/teams/{ctx.args.team}")
    ctx.show({"deleted": ctx.args.team}, f"Team {ctx.args.team} deleted.")
    return 0


def team_add_member(ctx: Context) -> int:
    member = ctx.client.post(
        f"/api/v1/teams/{ctx.args.team}/members", {"username": ctx.args.username, "role": ctx.args.role}
    )
    ctx.show(member, f"{member.get('username')} is a{'n' if ctx.args.role[0] in 'aeiou' else ''} "
                     f"{member.get('role')} of {ctx.args.team}.")  # fmt: skip
    return 0


def team_remove_member(ctx: Context) -> int:
    ctx.client.delete(f"/api/v1/teams/{ctx.args.team}/members/{ctx.args.username}")
    ctx.show({"removed": ctx.args.username}, f"{ctx.args.username} is no longer in {ctx.args.team}.")
    return 0


def team_add_namespace(ctx: Context) -> int:
    found = ctx.client.post(f"/api/v1/teams/{ctx.args.team}/namespaces", {"namespace": ctx.args.namespace})
    ctx.show(found, f"Team {ctx.args.team}'s namespaces: {', '.join(found.get('namespaces') or [])}.")
    return 0


def team_remove_namespace(ctx: Context) -> int:
    ctx.client.delete(f"/api/v1/teams/{ctx.args.team}/namespaces/{ctx.args.namespace}")
    ctx.show({"released": ctx.args.namespace}, f"Namespace {ctx.args.namespace} is no longer {ctx.args.team}'s.")
    return 0


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser) -> None:
    parents = [common]
    users = commands.add_parser("user", help="users (platform admins)", description="Users (platform admins).")
    actions = users.add_subparsers(dest="action", required=True, metavar="ACTION")
    command(actions, "list", user_list, parents=parents, help="every user and their teams")
    add = command(actions, "add", user_add, parents=parents, help="add a user (the password is asked)")
    add.add_argument("username", metavar="USER")
    add.add_argument("--admin", action="store_true", help="a platform admin")
    add.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    for name, handler, text in (
        ("show", user_show, "one user"),
        ("disable", _user_action("disable", "disabled (their tokens stopped working)"), "disable: tokens stop at once"),
        ("enable", _user_action("enable", "enabled again"), "enable a disabled user"),
        ("delete", user_delete, "delete a user"),
    ):
        command(actions, name, handler, parents=parents, help=text).add_argument("username", metavar="USER")
    password = command(actions, "password", user_password, parents=parents, help="reset a user's password")
    password.add_argument("username", metavar="USER")
    password.add_argument("--password-stdin", action="store_true", help="read the password from standard input")

    teams = commands.add_parser("team", help="teams, members, namespaces", description="Teams and their members.")
    actions = teams.add_subparsers(dest="action", required=True, metavar="ACTION")
    command(actions, "list", team_list, parents=parents, help="your teams (every team, for a platform admin)")
    create = command(actions, "create", team_create, parents=parents, help="create a team (platform admins)")
    create.add_argument("team", metavar="TEAM")
    create.add_argument("--namespace", help="its first namespace (default: one named after it)")
    command(actions, "show", team_show, parents=parents, help="a team and its members").add_argument("team")
    rename = command(actions, "rename", team_rename, parents=parents, help="rename a team (owners)")
    rename.add_argument("team", metavar="TEAM")
    rename.add_argument("new_name", metavar="NEW_NAME")
    command(
        actions, "delete", team_delete, parents=parents, help="delete a team without services (owners)"
    ).add_argument("team")
    member = command(actions, "add-member", team_add_member, parents=parents, help="add a member or change a role")
    member.add_argument("team", metavar="TEAM")
    member.add_argument("username", metavar="USER")
    member.add_argument("--role", choices=ROLES, default="viewer", help="viewer (default), operator, admin, owner")
    gone = command(actions, "remove-member", team_remove_member, parents=parents, help="remove a member")
    gone.add_argument("team", metavar="TEAM")
    gone.add_argument("username", metavar="USER")
    for name, handler, text in (
        ("add-namespace", team_add_namespace, "give a team a namespace (platform admins)"),
        ("remove-namespace", team_remove_namespace, "take a namespace from a team (platform admins)"),
    ):
        parser = command(actions, name, handler, parents=parents, help=text)
        parser.add_argument("team", metavar="TEAM")
        parser.add_argument("namespace", metavar="NAMESPACE")

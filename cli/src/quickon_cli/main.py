"""The ``qc`` command: the parser, and how failures become messages and exit codes.

Exit codes: 0 done, 1 the gateway refused or the operation failed, 2 a usage error, 3 the
gateway cannot be reached, 130 interrupted. Expected failures never show a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING

from . import __version__, args, output
from .commands import (
    activity,
    alerts,
    audit,
    auth,
    backup,
    channels,
    cluster,
    exposure,
    iam,
    lifecycle,
    market,
    nodes,
    platform,
    rules,
    services,
    top,
    transfer,
)
from .config import ConfigError
from .context import Context, UsageError
from .errors import ApiError, Unreachable, problem_lines, unreachable_lines
from .values import ValuesError

if TYPE_CHECKING:  # httpx loads only when a command talks to the gateway (see errors.py)
    import httpx

EXIT_FAILED, EXIT_USAGE, EXIT_UNREACHABLE, EXIT_INTERRUPTED = 1, 2, 3, 130


def build_parser() -> argparse.ArgumentParser:
    common = args.common()
    parser = argparse.ArgumentParser(
        prog="qc",
        description="QuickOn: install and run apps on Kubernetes.",
        epilog="Start here: qc up (in another terminal), qc login -u admin, qc apps, qc install APP --wait.",
        parents=[common],
    )
    parser.add_argument("--version", action="version", version=f"qc {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    up_parser = commands.add_parser("up", help="run the whole platform here on embedded defaults")
    up_parser.add_argument("--json", action="store_true", help="JSON lines instead of text, for scripts")
    up_parser.add_argument(
        "--replicas",
        default="",
        metavar="SERVICE=N,…",
        help="run N processes of a service (e.g. deployer=2,backup=2; all=2 for every service): each such "
        "service needs PostgreSQL (QC_<SERVICE>_DATABASE_URL)",
    )
    for area in (
        auth,
        iam,
        market,
        services,
        lifecycle,
        exposure,
        backup,
        transfer,
        cluster,
        top,
        nodes,
        platform,
        alerts,
        rules,
        channels,
        activity,
        audit,
    ):
        area.register(commands, common)
    return parser


def run(
    argv: list[str] | None = None, *, env: Mapping[str, str] | None = None, transport: httpx.BaseTransport | None = None
) -> int:
    """Parse, run the command, and turn expected failures into a message and an exit code.
    ``env`` and ``transport`` replace the process's environment and the network (for tests)."""
    parsed = build_parser().parse_args(argv)  # exits 2 itself on a usage error
    if parsed.command == "up":
        from . import up  # the platform's settings and object store: heavy, and only `qc up` needs them

        return up.run(json_lines=parsed.json, replicas=parsed.replicas)
    ctx = Context(parsed, env=dict(os.environ) if env is None else env, transport=transport)
    try:
        return int(parsed.handler(ctx))
    except (UsageError, ValuesError) as error:
        output.say_error([f"error: {error}", f"  (see: qc {parsed.command} --help)"])
        return EXIT_USAGE
    except ApiError as error:
        output.say_error(problem_lines(error.status, error.problem))
        return EXIT_FAILED
    except Unreachable as error:
        output.say_error(unreachable_lines(error))
        return EXIT_UNREACHABLE
    except ConfigError as error:
        output.say_error([f"error: {error}"])
        return EXIT_FAILED
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    finally:
        ctx.close()


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``qc``."""
    try:
        return run(argv)
    except BrokenPipeError:  # `qc events | head`: the reader left, which is fine
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    raise SystemExit(main())

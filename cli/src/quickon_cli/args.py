"""Options several commands share, so that they are spelled and explained the same everywhere."""

from __future__ import annotations

import argparse

DEFAULT_TIMEOUT_S = 600.0  # how long --wait follows an operation before giving up


def common() -> argparse.ArgumentParser:
    """``--url``, ``--token`` and ``--json``, accepted before or after the command's name."""
    # SUPPRESS: a subcommand's parser must not overwrite with its default what was given before it.
    parent = argparse.ArgumentParser(add_help=False)
    group = parent.add_argument_group("connection and output")
    group.add_argument(
        "--url", default=argparse.SUPPRESS, help="the gateway (else QC_URL, the config file, http://127.0.0.1:8080)"
    )
    group.add_argument("--token", default=argparse.SUPPRESS, help="an API token (else QC_TOKEN, the config file)")
    group.add_argument(
        "--json", action="store_true", default=argparse.SUPPRESS, help="print the API's JSON, for scripts"
    )
    return parent


def add_wait(parser: argparse.ArgumentParser) -> None:
    """``--wait`` and ``--timeout`` for commands that start an operation."""
    parser.add_argument("--wait", action="store_true", help="follow the operation until it ends (exit 1 if it fails)")
    parser.add_argument(
        "--timeout",
        type=positive_seconds,
        default=DEFAULT_TIMEOUT_S,
        metavar="SECONDS",
        help=f"with --wait, give up after this long (default {DEFAULT_TIMEOUT_S:.0f})",
    )


def add_namespace(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-n", "--namespace", help="the service's namespace (default: your only team's, else 'default')")


def add_values(parser: argparse.ArgumentParser) -> None:
    """``-f``, ``--set`` and ``--set-string``, as Helm spells them."""
    parser.add_argument(
        "-f",
        "--values",
        action="append",
        default=[],
        metavar="FILE",
        help="a YAML values file (repeatable; later wins)",
    )
    parser.add_argument(
        "--set", action="append", default=[], metavar="K=V", help="a value, Helm style: a.b=1,c=true (repeatable)"
    )
    parser.add_argument(
        "--set-string", action="append", default=[], metavar="K=V", help="like --set, but values stay strings"
    )


def positive_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if value <= 0:
        raise argparse.ArgumentTypeError("must be more than 0 seconds")
    return value


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def add_override_scan_policy(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--override-scan-policy", action="store_true",
        help="go on whatever the security scan finds (platform admins only; audited)",
    )  # fmt: skip

"""The ``qc`` command."""

from __future__ import annotations

import argparse

from . import up


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="qc", description="QuickOn: install and run apps on Kubernetes.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    up_parser = commands.add_parser("up", help="run the whole platform here on embedded defaults")
    up_parser.add_argument("--json", action="store_true", help="JSON lines instead of text, for scripts")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``qc``."""
    args = build_parser().parse_args(argv)
    if args.command == "up":
        return up.run(json_lines=args.json)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())

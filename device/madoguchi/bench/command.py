"""`madoguchi bench accuracy|speed`: figures printed, never asserted."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    bench = subparsers.add_parser("bench", help="measure accuracy and speed of the face engine")
    bench.set_defaults(handler=lambda args: bench.print_help())

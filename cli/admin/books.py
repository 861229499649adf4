"""`orders-admin check`: the invariants of the books, one line per violation."""

from __future__ import annotations

import argparse
from datetime import timedelta

from cli.invariant_check import check, report
from infra.settings import Settings
from infra.temporal_client import connect_temporal


async def run_check(args: argparse.Namespace, settings: Settings) -> int:
    """`check`: every violation of the books on one line each; 1 if there is one."""
    temporal = None if args.no_temporal else await connect_temporal(settings)
    violations = await check(
        settings,
        order_ids=args.orders,
        grace=timedelta(seconds=args.grace),
        temporal=temporal,
    )
    scope = f"{len(args.orders)} order(s)" if args.orders else "every order"
    print(report(violations, scope))
    return 1 if violations else 0

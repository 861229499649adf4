"""`orders-admin orders`: list, show, approve, reject and cancel orders."""

from __future__ import annotations

import argparse
from typing import Any

from cli.admin.stack import Refused, Stack, operator
from db.order_reads import OrderRecord
from domain.order import OrderStatus
from infra.temporal_client import connect_temporal
from services import order_client
from workflows.contracts import CancelRequest, ReviewDecision


async def orders(stack: Stack, args: argparse.Namespace) -> None:
    if args.command == "list":
        found = await stack.reads.page(
            customer_id=args.customer, status=args.status, after=None, limit=args.limit
        )
        for listed in found:
            print(_order_line(listed))
        if not found:
            print("no orders")
        return
    order = await stack.reads.find(args.order_id)
    if order is None:
        raise Refused(f"there is no order {args.order_id}")
    if args.command == "show":
        print(_order_line(order))
        address = ", ".join(str(v) for v in order.shipping_address.values() if v)
        print(f"  ship to: {address}")
        for line in order.lines:
            print(f"  {line.quantity} x {line.sku} at {_money(line.unit_price_amount, order)}")
        for entry in await stack.reads.timeline(order.id):
            print(f"  {entry.at:%Y-%m-%d %H:%M:%S} {entry.type} {_data(entry.data)}")
        return
    client = await connect_temporal(stack.settings)
    if args.command == "cancel":
        request = CancelRequest(reason=args.reason, requested_by=operator())
        view = await order_client.cancel(client, stack.settings, order.id, request)
    else:
        decision = ReviewDecision(args.command == "approve", args.by or operator(), args.note)
        view = await order_client.review(client, stack.settings, order.id, decision)
    now = await stack.reads.find(order.id)
    status = now.status if now else "unknown"
    background = view is None or not OrderStatus(status).is_terminal
    print(
        f"{args.command}: taken; {order.id} is {status}"
        + ("; the rest goes on in the background" if background else "")
    )


def _money(amount: int, order: OrderRecord) -> str:
    return f"{amount / 100:,.2f} {order.currency}"


def _order_line(order: OrderRecord) -> str:
    reason = f" ({order.failure_reason})" if order.failure_reason else ""
    return (
        f"{order.id}  {order.status}{reason}  {_money(order.total_amount, order)}  "
        f"{order.customer_id}  {order.created_at:%Y-%m-%d %H:%M}"
    )


def _data(data: dict[str, Any]) -> str:
    return " ".join(f"{k}={v}" for k, v in data.items())

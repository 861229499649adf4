"""A return's workflow (`return-<id>`) as the services see it: started once per
return, and told of each decision taken on the return's row."""

from __future__ import annotations

from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from domain.returns import Return
from infra.settings import Settings
from services.after_sale_client import start_after_sale
from workflows.returns import ReturnInput, ReturnWorkflow


async def start_return_workflow(
    temporal: Client, settings: Settings, rma: Return, payment_token: str | None = None
) -> None:
    """Starts the return's workflow with the bounds of today's settings; one that ran to
    its end already is left be (the return's row has the outcome)."""
    queues = settings.provider_task_queues
    await start_after_sale(
        temporal,
        settings,
        ReturnWorkflow.run,
        ReturnInput(
            rma.id,
            rma.order_id,
            rma.status.value,
            rma.expires_at.isoformat(),
            label_bound_seconds=settings.shipping_retry_bound.total_seconds(),
            refund_bound_seconds=settings.refund_retry_bound.total_seconds(),
            cancel_bound_seconds=settings.compensation_retry_bound.total_seconds(),
            carrier_queue=queues.get("carrier"),
            payment_queue=queues.get("payment"),
            exchange=None if rma.exchange is None else rma.exchange.difference,
            payment_token=payment_token,
            payment_bound_seconds=settings.payment_retry_bound.total_seconds(),
        ),
        workflow_id=f"return-{rma.id}",
        order_id=rma.order_id,
        customer_id=rma.customer_id,
        summary=f"Return {rma.id} of order {rma.order_id}: "
        + ", ".join(f"{item.quantity} x {item.sku}" for item in rma.items),
    )


async def signal_return(temporal: Client, rma: Return) -> None:
    """Tells the return's workflow of the decision; one that has ended needs none."""
    handle = temporal.get_workflow_handle(f"return-{rma.id}")
    try:
        await handle.signal(ReturnWorkflow.decided, rma.status.value)
    except RPCError as error:
        if error.status != RPCStatusCode.NOT_FOUND:
            raise

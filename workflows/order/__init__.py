"""The order's saga, one module per story; `OrderWorkflow` is the workflow."""

from workflows.order.workflow import OrderWorkflow

__all__ = ["OrderWorkflow"]

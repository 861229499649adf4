"""How a step or a story of the saga ends, other than by going on: the exceptions the
stories raise and catch, and the error an update's validator refuses with."""

from __future__ import annotations

from temporalio.exceptions import ActivityError, ApplicationError, FailureError

from domain.errors import DomainError
from domain.order import FailureReason


class OrderFailed(Exception):
    """The forward path cannot go on; compensate, then close the order as failed."""

    def __init__(self, reason: FailureReason) -> None:
        super().__init__(reason.value)
        self.reason = reason


class OrderRefused(Exception):
    """Stock was refused at placement: nothing is held, the order is already closed."""


class StepFailed(Exception):
    """A step failed for good: refused by a rule, or given up past its bound.

    An ordinary activity's failure arrives as an ActivityError wrapping what the
    activity raised; a local activity's arrives unwrapped. This is both, one way.
    """

    def __init__(self, step: str, failure: FailureError) -> None:
        super().__init__(f"{step}: {failure}")
        self.step = step
        self.failure = failure

    @property
    def cause(self) -> BaseException | None:
        """What the activity raised (or the timeout that ended it)."""
        if isinstance(self.failure, ActivityError):
            return self.failure.cause
        return self.failure

    @property
    def refused(self) -> bool:
        """Whether a rule refused it, rather than retries running out."""
        cause = self.cause
        return isinstance(cause, ApplicationError) and cause.non_retryable

    def refused_with(self, refusal: type[DomainError]) -> bool:
        """Whether the activity failed with this business refusal (not an outage)."""
        cause = self.cause
        return isinstance(cause, ApplicationError) and cause.type == refusal.__name__


def rejection(error: DomainError) -> ApplicationError:
    """An update refused by a business rule; the caller gets the rule's name as type,
    and the skus when the rule names some."""
    skus = getattr(error, "skus", None)
    details = [list(skus)] if skus is not None else []
    return ApplicationError(str(error), *details, type=type(error).__name__)

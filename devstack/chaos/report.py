"""What a chaos run tells: what was asked, what happened, what broke."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field


@dataclass
class Report:
    orders: int = 0
    placed: int = 0
    refused: Counter[str] = field(default_factory=Counter)
    retries: int = 0
    server_errors: list[str] = field(default_factory=list)
    outcomes: Counter[str] = field(default_factory=Counter)
    faults: list[str] = field(default_factory=list)
    temporal_down_answers: Counter[str] = field(default_factory=Counter)
    temporal_down_slowest: float = 0.0
    unsettled: list[str] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    failed_executions: list[str] = field(default_factory=list)
    settle_seconds: float = 0.0
    run_seconds: float = 0.0
    edits: Counter[str] = field(default_factory=Counter)  # answers to the edits sent
    parcels: Counter[int] = field(default_factory=Counter)  # orders by parcels shipped
    after_sale_answers: Counter[str] = field(default_factory=Counter)  # returns 201, ...
    after_sale: Counter[str] = field(default_factory=Counter)  # how each one ended

    @property
    def passed(self) -> bool:
        return not (
            self.server_errors or self.unsettled or self.violations or self.failed_executions
        )

    def lines(self) -> list[str]:
        return [
            f"orders asked for       {self.orders}",
            f"orders placed          {self.placed}",
            f"refused at placing     {dict(self.refused) or 0}",
            f"client retries         {self.retries}",
            f"outcomes               {dict(self.outcomes)}",
            f"edits answered         {dict(self.edits)}",
            f"orders by parcels      {dict(sorted(self.parcels.items()))}",
            f"after the sale asked   {dict(sorted(self.after_sale_answers.items()))}",
            f"after the sale ended   {dict(sorted(self.after_sale.items()))}",
            f"faults injected        {len(self.faults)}: {', '.join(self.faults)}",
            f"API while Temporal down {dict(self.temporal_down_answers)}, "
            f"slowest answer {self.temporal_down_slowest:.1f} s",
            f"5xx other than 503     {len(self.server_errors)} {self.server_errors[:5]}",
            f"not settled            {len(self.unsettled)} {self.unsettled[:5]}",
            f"invariant violations   {len(self.violations)}",
            *[f"  {violation}" for violation in self.violations[:20]],
            f"executions Failed      {len(self.failed_executions)} {self.failed_executions[:5]}",
            f"time to settle         {self.settle_seconds:.1f} s after the last fault",
            f"whole run              {self.run_seconds:.1f} s",
        ]

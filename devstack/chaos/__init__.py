"""Chaos run: orders stream through the real processes while they are killed, stopped
and starved, then everything must settle and the invariant check must pass.

    python -m devstack.chaos --orders 1000 --clients 20

Every process is started here, from the same parts as `make dev` (embedded
PostgreSQL, Redis, the Temporal dev server, the simulators, workers and the API), so
each can be killed on its own. Faults, in order, while clients keep placing orders:

- a worker SIGKILLed and another started; then three workers, two of them killed;
- the Temporal server stopped for several seconds and restarted (the API must answer
  503 problems meanwhile, never a 500 and never hang);
- the whole stack SIGKILLed, PostgreSQL included, and started again;
- the payment provider failing 30% of calls, then throttling half of them (429 with a
  Retry-After), then down for longer than the retry bound;
- the carrier's tracking down (every lookup failing, every webhook lost) for longer
  than a poll's retry bound: parcels are found by polling once it is back;
- the API SIGKILLed and restarted while clients retry with the same Idempotency-Key.

The store has three locations (store.py): a third of the orders split into two
parcels, and every fifth order is edited right after it is placed (taken whole or
refused whole, whichever wins against its booking).

Clients retry every failed or unanswered placement with the same key, as the API
asks. The run prints one report and exits 1 on any violation, server error or order
that did not settle.

store.py lays out the stock, customers.py places, edits and cancels orders,
faults.py puts the faults in, report.py tells what happened.
"""

from __future__ import annotations

from devstack.chaos.report import Report
from devstack.chaos.run import main, run

__all__ = ["Report", "main", "run"]

"""Orchestration only: the order saga and its messages. No I/O, clock or randomness
outside `temporalio.workflow`."""

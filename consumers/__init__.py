"""Examples of systems downstream of the order events (docs/events.md)."""

"""Stand-ins for the payment provider, the carrier and the email service.

Each is a small FastAPI app run as its own process and reached over real HTTP.
They honour `Idempotency-Key` like the real services do, keep a ledger that tests
read, and take injected faults through `PUT /admin/faults`.
"""

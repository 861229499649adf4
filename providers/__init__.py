"""HTTP clients of the payment provider, the carrier and the email service.

Each call carries an idempotency key derived from the order and the step, so a
retried activity never charges, ships or emails twice. 5xx and network errors
raise as-is (Temporal retries them); business refusals raise domain errors.
"""

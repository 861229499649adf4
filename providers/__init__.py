"""HTTP clients of the payment provider, the carrier and the email service.

Each call carries an idempotency key derived from the order and the step, so a
retried activity never charges, ships or emails twice. "Later" (5xx, 429, a provider
that cannot be reached or does not answer in time) raises ProviderUnavailable, which
Temporal retries; business refusals raise domain errors (providers/http.py).
"""

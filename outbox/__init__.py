"""What happens to an order's timeline entries after they are written: the outbox
relay hands each one on (customer email; event brokers)."""

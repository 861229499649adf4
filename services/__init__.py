"""Use cases of the order service, shared by the API and `orders-admin`: they speak in
domain terms and raise domain errors; the edges turn those into HTTP or messages."""

"""The order domain: plain Python, no framework. Everything else depends on it."""

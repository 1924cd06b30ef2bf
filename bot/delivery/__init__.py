"""Delivery: rate limits, channels, the outbox workers and broadcast progress."""

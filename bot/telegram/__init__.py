"""Talking to the Bot API: the HTTP client and the rate limiter PTB calls through."""

"""Repositories: plain async functions that take a session. All SQL lives here."""

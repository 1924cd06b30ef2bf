"""Scheduled jobs, run by PTB's JobQueue: each calls services and says what it did."""

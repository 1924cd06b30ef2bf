"""Presentation: what people read and tap, built from what the services return.

Labels and formatting (dates, countries, statuses, phone numbers), the plain view values
templates receive, inline keyboards and their callback data, and rendered messages.
"""

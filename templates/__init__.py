"""Jinja2 templates and the environments that render them."""

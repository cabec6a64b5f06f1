"""Packaged data: form definitions, value sets, Jinja2 templates."""

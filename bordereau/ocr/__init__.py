"""Scan input, page identification, alignment and field readers."""

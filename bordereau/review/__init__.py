"""The review queue and its terminal application."""

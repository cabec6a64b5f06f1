"""Simulated scans: fill generated forms and write them the way scanners do."""

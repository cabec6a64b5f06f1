"""The establishment's base: storage of scans and readings, review queue, records."""

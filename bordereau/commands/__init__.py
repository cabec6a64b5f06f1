"""Command groups of the ``bordereau`` CLI; each command calls one library method."""

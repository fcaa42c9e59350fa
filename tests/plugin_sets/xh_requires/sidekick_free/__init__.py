"""A plain plugin that needs_core requires."""

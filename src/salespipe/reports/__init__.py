"""Reports: pure functions from stored records and events to result objects."""

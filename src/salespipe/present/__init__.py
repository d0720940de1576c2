"""Presentation: neutral views, their rendering for a terminal, charts and text width."""

"""The use cases: the pipeline of deals and stages, settings, the demo and hooks."""

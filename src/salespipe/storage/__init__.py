"""Storage: where the pipeline is kept. Backends live below this package."""

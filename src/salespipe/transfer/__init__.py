"""Moving data in and out: import from CSV of other CRMs, export, and restoring a backup."""

"""Allow ``python -m salespipe``."""

from salespipe.cli.app import main

main()

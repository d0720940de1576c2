"""Allow ``python -m salespipe``."""

from salespipe.cli.entry import main

main()

"""The command line: the only place that knows argv, stdout/stderr, --json and exit codes."""

"""How long a field may be, and how many seconds a wait: one number each, which the
command line, the Python API, the import and the data file's own checks all use, so that
what one accepts another never refuses (a stored setting longer than its check allows
makes the file read as damaged)."""

MAX_OWNER = 100  # an owner's name (a team's database role is at most 63)
MAX_REASON = 2000  # why a deal moved, was won or lost
MAX_QUOTE_NOTE = 2000
MAX_NOTE = 10_000  # a note: a call's or a meeting's minutes
MAX_NEXT_ACTION = 500
MAX_SECONDS = 3600  # lock_timeout, SALESPIPE_HOOK_TIMEOUT
UNKNOWN_STAGE_POSITION = 10_000
"""Where a deal in a stage the pipeline no longer has sorts: after every stage (both
backends sort so, and must agree to the byte)."""

"""Run one command and report its wall time and its own peak memory, as JSON on stdout.

    python bench/spawn.py STDERR_FILE COMMAND [ARG ...]

The benchmark starts every timed command through this small process rather than
directly: on Linux a child's peak RSS (``ru_maxrss`` from ``wait4``) includes the memory
of the process that spawned it, up to the ``exec``, so a spawner holding a data set
would inflate every figure. This one holds almost nothing (about 9 MB, below any
salespipe process). The command's stdout goes to /dev/null, its stderr to STDERR_FILE.
"""

import json
import os
import sys
import time

stderr_path, argv = sys.argv[1], sys.argv[2:]
null = os.open(os.devnull, os.O_RDWR)
err = os.open(stderr_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
actions = [
    (os.POSIX_SPAWN_DUP2, null, 0),
    (os.POSIX_SPAWN_DUP2, null, 1),
    (os.POSIX_SPAWN_DUP2, err, 2),
]
start = time.perf_counter()
pid = os.posix_spawnp(argv[0], argv, os.environ, file_actions=actions)
_pid, status, usage = os.wait4(pid, 0)
seconds = time.perf_counter() - start
json.dump(
    {
        "seconds": seconds,
        "peak_kb": usage.ru_maxrss,
        "exit_code": os.waitstatus_to_exitcode(status),
    },
    sys.stdout,
)

"""Export targets of every kind: devices, FIFOs, links, stdout, regular files, modes.

    python bench/stress/export_targets.py

Devices are made only inside a private mount namespace (``unshare -m``, root only) on a
tmpfs mounted there, never on the machine's real /dev; without root or unshare the
device checks are skipped and said so. Checks: a device stays the same device and gets
the export written into it (/dev/full: a clear error, no traceback); a FIFO stays a FIFO
and its reader gets the whole export; a link stays a link and its target gets the export
(a dangling one creates its target, 0600); a path to a descriptor (what /dev/stdout is)
writes the stream; a regular file is replaced and keeps its mode; a new one is 0600.
Exits 1 if a check failed.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

from command import salespipe


def export(db: Path, target: str, fmt: str = "csv") -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "SALESPIPE_DB": str(db)}
    return subprocess.run(
        [*salespipe(), "export", "--format", fmt, "-o", target],
        capture_output=True,
        env=env,
        timeout=60,
        check=False,
    )


def check_files(folder: Path, db: Path) -> list[str]:
    problems: list[str] = []
    real = folder / "real.csv"
    real.write_text("old\n")
    link = folder / "link.csv"
    link.symlink_to(real)
    done = export(db, str(link))
    if done.returncode or not link.is_symlink() or b"Stress" not in real.read_bytes():
        problems.append("a link to a file was not followed")
    dangling = folder / "dangling.csv"
    dangling.symlink_to(folder / "made-by-export.csv")
    made = folder / "made-by-export.csv"
    if export(db, str(dangling)).returncode or not made.exists() or not dangling.is_symlink():
        problems.append("a dangling link did not create its target")
    elif stat.S_IMODE(made.stat().st_mode) != 0o600:
        problems.append(f"a new export is {oct(made.stat().st_mode)}, not 0600")
    fifo = folder / "out.fifo"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()), daemon=True)
    reader.start()
    done = export(db, str(fifo), "json")
    reader.join(30)
    if done.returncode or not stat.S_ISFIFO(os.lstat(fifo).st_mode) or not got:
        problems.append("a FIFO was replaced or its reader got nothing")
    elif not got[0].rstrip().endswith(b"]}"):
        problems.append("the FIFO's reader got a partial backup")
    stdout = export(db, "/proc/self/fd/1")
    if stdout.returncode or b"Stress" not in stdout.stdout:
        problems.append("a descriptor path (/dev/stdout) was not written as a stream")
    regular = folder / "regular.csv"
    regular.write_text("")
    regular.chmod(0o640)
    if export(db, str(regular)).returncode or stat.S_IMODE(regular.stat().st_mode) != 0o640:
        problems.append("a replaced export did not keep its mode")
    return problems


INSIDE = r"""
set -e
mount -t tmpfs -o mode=0755 salespipe-devices "$1"
mknod -m 666 "$1/null" c 1 3
mknod -m 666 "$1/full" c 1 7
exec "$2" "$3" --devices "$1" "$4"
"""


def check_devices(folder: Path, db: Path) -> list[str]:
    """Run inside the private namespace: the devices made on its own tmpfs."""
    problems: list[str] = []
    for name in ("null", "full"):
        device = folder / name
        before = os.lstat(device)
        done = export(db, str(device))
        after = os.lstat(device)
        if not stat.S_ISCHR(after.st_mode) or after.st_rdev != before.st_rdev:
            problems.append(f"the device {name} was replaced")
        if b"Traceback" in done.stderr:
            problems.append(f"exporting to {name}: traceback")
        if name == "null" and done.returncode:
            problems.append(f"exporting to null failed: {done.stderr[:200]!r}")
        if name == "full" and (done.returncode != 1 or b"the disk is full" not in done.stderr):
            problems.append(f"exporting to full: exit {done.returncode} {done.stderr[:200]!r}")
    leftovers = [p.name for p in folder.iterdir() if ".tmp" in p.name]
    if leftovers:
        problems.append(f"temp files beside the devices: {leftovers}")
    return problems


def in_namespace(db: Path) -> tuple[list[str], str]:
    if os.geteuid() != 0 or not shutil.which("unshare"):
        return [], "skipped (needs root and unshare)"
    mountpoint = Path(tempfile.mkdtemp(prefix="salespipe-devices-"))
    try:
        done = subprocess.run(
            [
                "unshare",
                "-m",
                "--propagation",
                "private",
                "sh",
                "-c",
                INSIDE,
                "sh",
                str(mountpoint),
                sys.executable,
                __file__,
                str(db),
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    finally:
        mountpoint.rmdir()
    if done.returncode or "devices checked" not in done.stdout:
        return [f"device checks: {done.stdout.strip()} {done.stderr.strip()[-300:]}"], "run"
    return [], done.stdout.strip()


def main() -> int:
    if len(sys.argv) == 4 and sys.argv[1] == "--devices":
        problems = check_devices(Path(sys.argv[2]), Path(sys.argv[3]))
        print("\n".join(problems) or "devices checked: null, full")
        return 1 if problems else 0
    folder = Path(tempfile.mkdtemp(prefix="salespipe-export-targets-"))
    db = folder / "data" / "pipeline.json"
    env = {**os.environ, "SALESPIPE_DB": str(db)}
    subprocess.run(
        [*salespipe(), "add", "Stress export", "-q"], env=env, check=True, capture_output=True
    )
    problems = check_files(folder, db)
    device_problems, devices = in_namespace(db)
    problems += device_problems
    print(f"files, links, FIFO, stdout: checked; devices: {devices}")
    print(f"problems: {len(problems)} {problems}")
    print("FAILED" if problems else "OK")
    if not problems:
        shutil.rmtree(folder)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

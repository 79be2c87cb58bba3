"""`wsshare record linux`: run a command under strace and import its log as a trace.

strace's options are the ones the project's recording notes (spec/recording.md)
checked: `-f` (children and threads), `-ttt` (times), `-s 256` (SCM_RIGHTS lists and
paths are not cut short), `--decode-fds=path,pidfd` (every descriptor printed with its
inode, the identity of the underlying socket; never -yy, whose addresses change when a
socket connects) and a `-e trace=` list of the syscalls that create, copy, pass and
close descriptors. The log goes to a file of its own (`-o`), so every line carries its
pid and the command's own
standard error stays readable.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ...importers.strace import STRACE_OPTIONS, TRACED_SYSCALLS, Summary, write_trace
from ...loading import InputError
from ...trace import TraceError

INSTALL_HINT = "install strace: apt-get install strace"


class StraceUnavailable(InputError):
    """strace is not installed (or not runnable)."""


def strace_path() -> str:
    found = shutil.which("strace")
    if found is None:
        raise StraceUnavailable(f"strace not found on PATH; {INSTALL_HINT}")
    return found


def strace_version(strace: str) -> str:
    """'6.1' from `strace -V` ('strace -- version 6.1')."""
    try:
        out = subprocess.run([strace, "-V"], capture_output=True, text=True, timeout=30).stdout
    except OSError as e:
        raise StraceUnavailable(f"cannot run {strace}: {e.strerror}; {INSTALL_HINT}") from None
    first = out.splitlines()[0] if out else ""
    return first.rsplit(" ", 1)[-1] if "version" in first else "unknown"


def strace_command(strace: str, log: Path, cmd: list[str]) -> list[str]:
    return [
        strace,
        *STRACE_OPTIONS,
        "-e",
        "trace=" + ",".join(TRACED_SYSCALLS),
        "-o",
        str(log),
        "--",
        *cmd,
    ]


def platform_text() -> str:
    u = os.uname()
    return f"{u.sysname} {u.release} {u.machine}"


@dataclass
class Recorded:
    summary: Summary
    returncode: int
    seconds: float  # the command under strace
    import_seconds: float
    log_bytes: int


def record(
    cmd: list[str],
    out: str | Path,
    *,
    keep_log: str | Path | None = None,
    timeout: float | None = None,
    cwd: str | Path | None = None,
    env: dict[str, str] | None = None,
) -> Recorded:
    """Run `cmd` under strace and write its trace to `out`."""
    strace = strace_path()
    version = strace_version(strace)
    with tempfile.TemporaryDirectory(prefix="wsshare-strace-") as tmp:
        log = Path(tmp) / "strace.log"
        start = time.perf_counter()
        # A session of its own, so a timeout can stop the command's whole process tree.
        proc = subprocess.Popen(
            strace_command(strace, log, cmd), cwd=cwd, env=env, start_new_session=True
        )
        try:
            returncode = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
            raise InputError(
                f"the command did not finish within {timeout} s and was stopped; "
                "raise --timeout or make it exit on its own"
            ) from None
        seconds = time.perf_counter() - start
        if not log.exists() or log.stat().st_size == 0:
            raise InputError(
                f"strace wrote no log (exit status {returncode}): does the command "
                f"{cmd[0]!r} exist, and may this user ptrace (see /proc/sys/kernel/yama)?"
            )
        if keep_log is not None:
            # Import the kept copy, so an error names a file that still exists.
            shutil.copyfile(log, keep_log)
            log = Path(keep_log)
        start = time.perf_counter()
        try:
            summary = write_trace(
                log,
                out,
                platform=platform_text(),
                recorder=f"strace {version} via wsshare record linux",
            )
        except TraceError as e:
            if keep_log is None:
                e.args = (f"{e} (the log is gone; --keep-log FILE keeps it)",)
            raise
        return Recorded(
            summary, returncode, seconds, time.perf_counter() - start, log.stat().st_size
        )


def run_record(args: Any) -> int:
    """`wsshare record linux -o TRACE [--keep-log FILE] [--timeout S] -- CMD ...`."""
    r = record(args.cmd, args.output, keep_log=args.keep_log, timeout=args.timeout)
    status = "" if r.returncode == 0 else f" (the command exited with status {r.returncode})"
    print(
        f"{args.output}: {r.summary.text()}; recorded in {r.seconds:.2f} s{status}",
        file=sys.stderr,
    )
    return 0

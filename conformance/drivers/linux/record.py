"""`wsshare record linux`: run a command under strace and import its log as a trace.

strace's options are the ones the project's recording notes (spec/recording.md)
checked: `-f` (children and threads), `-ttt` (times), `-s 256` (SCM_RIGHTS lists and
paths are not cut short), `--decode-fds=path,pidfd` (every descriptor printed with its
inode, the identity of the underlying socket; never -yy, whose addresses change when a
socket connects) and a `-e trace=` list of the syscalls that create, copy, pass and
close descriptors. The log goes to a file of its own (`-o`), so every line carries its
pid and the command's own
standard error stays readable.

A command that outlives `--timeout` is stopped with every process strace traces (found by
their TracerPid, so one that left strace's session or process group is found too), and
what was recorded until then is imported: a partial trace, which its header and the
command's message say it is.
"""

from __future__ import annotations

import contextlib
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
    # Set when the command outlived the timeout: the timeout, and how many processes were
    # stopped. The trace then holds what was recorded until the stop.
    timed_out: float | None = None
    stopped: int = 0
    log_trimmed: bool = False  # an incomplete last line of the log was dropped


def _tracees(tracer: int) -> list[int]:
    """The live processes `tracer` traces (TracerPid in /proc/PID/status): whatever
    session, process group or parent they have by now."""
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            status = Path("/proc", name, "status").read_text()
        except OSError:
            continue  # gone meanwhile
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        if fields.get("TracerPid", "").strip() != str(tracer):
            continue
        # A zombie is dead already, unless other threads of it still run.
        if fields.get("State", "").strip().startswith("Z") and fields.get(
            "Threads", "1"
        ).strip() in ("0", "1"):
            continue
        found.append(int(name))
    return found


def _exited(pid: int) -> bool:
    """Whether child `pid` has exited, without reaping it: its pid (and so its process
    group's id) stays taken until the caller waits for it."""
    return os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None


def stop_tree(proc: subprocess.Popen[bytes], grace: float = 10.0) -> int:
    """Stop strace (`proc`, the leader of its own session) and everything it traces;
    return how many traced processes were killed.

    The tracees go first, with SIGKILL (which reaches a process in a ptrace stop, and
    cancels a fork under way, so no new one appears after its parent's kill): strace sees
    each die, writes its last line, and exits by itself once none is left, with its log
    complete. Killed before its tracees, strace would detach them and they would run on.
    Whatever is left in strace's process group after `grace` seconds (strace itself, if
    it hangs) is killed too, while strace's unreaped pid keeps the group's id taken."""
    killed: set[int] = set()
    deadline = time.monotonic() + grace
    while not _exited(proc.pid) and time.monotonic() < deadline:
        for pid in _tracees(proc.pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            killed.add(pid)
        time.sleep(0.01)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    return len(killed)


def _trim_partial_line(log: Path) -> bool:
    """Drop an incomplete last line (strace stopped while writing it); True if it did."""
    with open(log, "rb+") as f:
        f.seek(0, os.SEEK_END)
        size = f.tell()
        if size == 0:
            return False
        f.seek(max(0, size - 65536))
        tail = f.read()
        if tail.endswith(b"\n"):
            return False
        cut = tail.rfind(b"\n")
        f.truncate(size - len(tail) + cut + 1 if cut >= 0 else 0)
        return True


def record(
    cmd: list[str],
    out: str | Path,
    *,
    keep_log: str | Path | None = None,
    timeout: float | None = None,
    cwd: str | Path | None = None,
    env: dict[str, str] | None = None,
) -> Recorded:
    """Run `cmd` under strace and write its trace to `out`. If the command outlives
    `timeout` seconds, it is stopped with every process strace traces, and the trace
    holds what was recorded until then (`Recorded.timed_out` says so)."""
    strace = strace_path()
    version = strace_version(strace)
    with tempfile.TemporaryDirectory(prefix="wsshare-strace-") as tmp:
        log = Path(tmp) / "strace.log"
        start = time.perf_counter()
        # A session of its own, so that no signal meant for us (a terminal's ^C) reaches
        # strace or the command, and that stop_tree has a group to end.
        proc = subprocess.Popen(
            strace_command(strace, log, cmd), cwd=cwd, env=env, start_new_session=True
        )
        timed_out, stopped = None, 0
        try:
            returncode = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            timed_out = timeout
            stopped = stop_tree(proc)
            returncode = proc.returncode
        except BaseException:
            stop_tree(proc)  # interrupted: leave nothing running behind us
            raise
        seconds = time.perf_counter() - start
        trimmed = timed_out is not None and log.exists() and _trim_partial_line(log)
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
        recorder = f"strace {version} via wsshare record linux"
        if timed_out is not None:
            # The trace says it itself: a reader of the file alone must not take the
            # killed processes' exits for the program's own.
            recorder += (
                f"; PARTIAL: the command was stopped at the timeout of {timed_out:g} s, "
                "and its processes' last exits are the stop's"
            )
        try:
            summary = write_trace(log, out, platform=platform_text(), recorder=recorder)
        except TraceError as e:
            if keep_log is None:
                e.args = (f"{e} (the log is gone; --keep-log FILE keeps it)",)
            raise
        return Recorded(
            summary,
            returncode,
            seconds,
            time.perf_counter() - start,
            log.stat().st_size,
            timed_out,
            stopped,
            trimmed,
        )


def run_record(args: Any) -> int:
    """`wsshare record linux -o TRACE [--keep-log FILE] [--timeout S] -- CMD ...`."""
    r = record(args.cmd, args.output, keep_log=args.keep_log, timeout=args.timeout)
    if r.timed_out is not None:
        status = " until it was stopped"
    elif r.returncode != 0:
        status = f" (the command exited with status {r.returncode})"
    else:
        status = ""
    print(
        f"{args.output}: {r.summary.text()}; recorded in {r.seconds:.2f} s{status}",
        file=sys.stderr,
    )
    if r.timed_out is not None:
        trimmed = "; the log's last, incomplete line was dropped" if r.log_trimmed else ""
        raise InputError(
            f"{args.cmd[0]} did not finish within {r.timed_out:g} s: stopped it and the "
            f"{r.stopped} process(es) strace traced; {args.output} is a PARTIAL trace of "
            f"the {r.summary.events} event(s) recorded until then{trimmed}. Raise "
            "--timeout, or make the command exit on its own"
        )
    return 0

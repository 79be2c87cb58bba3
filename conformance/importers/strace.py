"""Import a log of `strace -f --decode-fds=path,pidfd` as a Linux trace (README: "Linux").

strace prints every descriptor argument and result as `N<socket:[INODE]>`, so the inode is
a stable identity of the underlying socket in every process, including inside SCM_RIGHTS
control messages and in pidfd_getfd results. What strace does not print (closes at exec
and at exit, which descriptors a child inherits) follows from replaying each process's
descriptor table; the importer does that replay and writes one event per call that
touches a descriptor whose origin the log shows.

Two passes over the log, both streaming:

1. pairing: every successful sendmsg carrying SCM_RIGHTS is matched with the recvmsg that
   received it, by the identities of the passed descriptors (equal tuples, first in first
   out, a send's entry before the receive's return). The socket ends cannot link them:
   the two ends of a connection have different inodes and, without -yy, the log does not
   say which ends are peers. Memory is one small record per message with SCM_RIGHTS.
2. replay: each line is applied to the process tables and turned into events.

Decisions the trace format leaves to the importer (traces/real/linux/README.md repeats
them for readers of the corpus):

- A descriptor is *tracked* when the log shows where it came from: socket, socketpair,
  accept, pipe2/pipe, pidfd_open, a received SCM_RIGHTS message whose send is in the log,
  pidfd_getfd of a tracked descriptor, a dup of a tracked descriptor, or inheritance of a
  tracked descriptor across fork. Everything else (stdio, files from the untraced openat,
  epoll and event fds, descriptors inherited from outside the log) is untracked, and
  calls that only touch untracked descriptors are left out: no creation is invented.
- A `close` is emitted for a tracked descriptor, and for a descriptor number that strace
  shows as not open (a bare number) when the close fails with EBADF: that is a real
  statement about the table (nothing open there) that the model can check. A close of
  an untracked open descriptor is left out: the model never saw it created. Except one
  the replay itself dropped (close-on-exec at exec, close_range) and strace still shows
  open with the same identity: that close is written, so a kernel that kept what it
  should have closed is caught, not hidden.
- A message with SCM_RIGHTS that was sent but never received (its receiver exited, or is
  outside the log) is left out and counted in the summary; so is a received message
  whose send is not in the log (its descriptors stay untracked). Descriptors in a
  message whose sender did not track them are dropped from both sides; a message left
  with none is no event. Both are counted in the summary (`untracked_messages`,
  `untracked_passed`) with the line of each (`left_out`), so that "conforms" does not
  hide that nothing of them was checked.
- A blocking call that other processes interleave with (`<unfinished ...>` then
  `<... NAME resumed>`) is one event at its return. One exception keeps cause before
  effect: a sendmsg whose receiver returns before the sender does is emitted when the
  receive returns, since the kernel queued the message by then.
- A child's lines that strace prints before its parent's clone returns are held back and
  replayed right after the `fork` event; a thread (CLONE_THREAD) shares its process's
  table and its events carry the process id, with `tid` set.
- Failed calls that change nothing and that the vocabulary does not name (a failed
  socket(), a failed sendmsg or recvmsg, a failed exec, a restarted call `= ?
  ERESTARTSYS`) are left out.
"""

from __future__ import annotations

import re
import sys
from collections import defaultdict, deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ..trace import TraceError, TraceHeader, TraceWriter

# The syscalls the recorder asks strace for. The importer understands exactly these (and
# `pipe`, `fork`, `vfork`); any other syscall in a log is read and ignored.
TRACED_SYSCALLS = (
    "socket",
    "socketpair",
    "connect",
    "bind",
    "listen",
    "accept",
    "accept4",
    "sendmsg",
    "recvmsg",
    "close",
    "close_range",
    "dup",
    "dup2",
    "dup3",
    "fcntl",
    "ioctl",
    "pidfd_open",
    "pidfd_getfd",
    "clone",
    "clone3",
    "fork",
    "vfork",
    "execve",
    "execveat",
    "exit_group",
    "pipe2",
)

STRACE_OPTIONS = ("-f", "-ttt", "-s", "256", "--decode-fds=path,pidfd")

# Receives each event (the fields of a TraceEvent but `seq`) and the log line it came from.
EventSink = Callable[[dict[str, Any], int], None]

# `PID  ` (strace -f -o FILE) or `[pid PID] ` (strace -f to stderr), then a timestamp of
# -ttt (seconds.micro), -tt (HH:MM:SS.micro) or -t (HH:MM:SS).
_PREFIX = re.compile(
    r"(?:\[pid\s+(?P<bpid>\d+)\]\s+|(?P<pid>\d+)\s+)?"
    r"(?:(?P<epoch>\d+\.\d+)|(?P<clock>\d\d:\d\d:\d\d(?:\.\d+)?))?\s*"
)
_EXIT = re.compile(
    r"\+\+\+ (?:exited with (?P<code>-?\d+)|killed by (?P<sig>\w+)(?: \(core dumped\))?"
    r"|superseded by execve in pid (?P<old>\d+)) \+\+\+$"
)
_RESUMED = re.compile(r"<\.\.\. (?P<name>\w+) resumed>(?P<rest>.*)$")
_CALL = re.compile(r"(?P<name>[a-z_][a-z0-9_]*)\((?P<rest>.*)$")
_UNFINISHED = " <unfinished ...>"
_RETURN = re.compile(r"^(?P<args>.*)\)\s+=\s+(?P<ret>.*)$")
_DURATION = re.compile(r"\s+<\d+\.\d+>$")  # strace -T
_RETVAL = re.compile(
    r"^(?P<value>-?\d+|0x[0-9a-fA-F]+|\?)(?P<deco><.*>)?"
    r"(?:\s+(?P<errno>E[A-Z0-9]+)\s+\(.*\))?(?:\s+\(.*\))?$"
)
# strace appends "(deleted)" to the decoration of a file that was unlinked.
_FD = re.compile(r"^(?P<fd>-?\d+)(?:<(?P<deco>.*)>(?:\(deleted\))?)?$")
# -yy and --decode-fds=socket print protocol details in place of the inode, and those
# change once a socket connects: no stable identity.
_DETAILED_SOCKET = re.compile(
    r"^(?:TCP|TCPv6|UDP|UDPv6|UDPLITE|UDPLITEv6|RAW|RAWv6|UNIX|UNIX-STREAM|UNIX-DGRAM"
    r"|UNIX-SEQPACKET|NETLINK|PACKET|SCTP|SCTPv6|DCCP|DCCPv6|L2TP/IP)\b"
)
_DETAILED_IN_LINE = re.compile(
    r"\d<(?:TCP|TCPv6|UDP|UDPv6|UDPLITE|UDPLITEv6|RAW|RAWv6|UNIX|UNIX-STREAM|UNIX-DGRAM"
    r"|UNIX-SEQPACKET|NETLINK|PACKET|SCTP|SCTPv6|DCCP|DCCPv6):"
)
_YY_MESSAGE = (
    "a descriptor decoded with its addresses (<{}...>): this log was recorded with -yy or "
    "--decode-fds=socket, which replace the inode with addresses that change when a "
    "socket connects; re-record with --decode-fds=path,pidfd"
)
_CLONE_FLAGS = re.compile(r"flags=(?P<flags>[A-Za-z0-9_|]+)")
# The model tells connection-oriented sockets from connectionless ones (L13).
_SOCKET_TYPES = {
    "SOCK_STREAM": "stream",
    "SOCK_SEQPACKET": "stream",
    "SOCK_DGRAM": "dgram",
    "SOCK_RAW": "dgram",
    "SOCK_RDM": "dgram",
    "SOCK_PACKET": "dgram",
}
# How strace prints a sockaddr whose family is AF_UNSPEC.
_UNSPEC = "{sa_family=AF_UNSPEC"


class _Malformed(Exception):
    """A line that cannot be read; turned into a TraceError with the file and line."""

    def __init__(self, field: str | None, message: str) -> None:
        super().__init__(message)
        self.field, self.message = field, message


@dataclass(frozen=True)
class Syscall:
    """One syscall with its arguments and result, assembled from one complete line or from
    an `<unfinished ...>` line and its `<... resumed>` line."""

    tid: int
    name: str
    args: str
    value: str  # the return value as printed: "0", "5", "-1", "0x1", "?"
    deco: str | None  # the decoration of a returned descriptor: socket:[123]
    errno: str | None
    line: int  # the line of the return
    entry_line: int  # the line of the call (== line for a complete line)
    time: float | None

    @property
    def ok(self) -> bool:
        return self.errno is None and self.value not in ("?", "-1")

    def int_value(self) -> int:
        return int(self.value, 0)


@dataclass(frozen=True)
class Entry:
    """The call line of an unfinished syscall (its arguments as far as printed)."""

    tid: int
    name: str
    args: str
    line: int
    time: float | None


@dataclass(frozen=True)
class TaskExit:
    tid: int
    line: int
    time: float | None
    superseded: int | None = None  # `+++ superseded by execve in pid N +++`


Record = Syscall | Entry | TaskExit


def split_args(text: str) -> list[str]:
    """Top-level comma-separated arguments, respecting quotes, brackets and the `<...>`
    decoration after a descriptor number (a path may hold commas and brackets)."""
    parts: list[str] = []
    depth = 0
    start = 0
    i = 0
    n = len(text)
    while i < n:
        c = text[i]
        if c == '"':
            i += 1
            while i < n and text[i] != '"':
                i += 2 if text[i] == "\\" else 1
        elif c == "<" and i > 0 and text[i - 1].isdigit():
            # A decoration runs to the `>` that closes it; nested `<...>` do not occur, but
            # a socket identity holds brackets: `5<socket:[123]>`.
            end = text.find(">", i)
            i = n if end < 0 else end
        elif c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
        elif c == "," and depth == 0:
            parts.append(text[start:i].strip())
            start = i + 1
        i += 1
    last = text[start:].strip()
    if last or parts:
        parts.append(last)
    return parts


@dataclass(frozen=True)
class FdArg:
    fd: int
    deco: str | None  # None when strace printed a bare number: nothing open there


def parse_fd(text: str) -> FdArg:
    m = _FD.match(text.strip())
    if m is None:
        raise _Malformed("args", f"expected a descriptor such as 5<socket:[123]>, got {text!r}")
    deco = m.group("deco")
    if deco is not None and _DETAILED_SOCKET.match(deco):
        raise _Malformed("args", _YY_MESSAGE.format(deco.split(":", 1)[0] + ":"))
    return FdArg(int(m.group("fd")), deco)


def _no_detailed_sockets(text: str) -> None:
    found = _DETAILED_IN_LINE.search(text)
    if found is not None:
        raise _Malformed("args", _YY_MESSAGE.format(found.group(0)[2:]))


_FIRST_FD = re.compile(r"\s*(-?\d+)(?:<([^<>]*)>(?:\(deleted\))?)?\s*(?:,|$)")


def first_fd(args: str) -> FdArg:
    """The first argument as a descriptor: the common case without splitting them all."""
    m = _FIRST_FD.match(args)
    if m is None:
        return parse_fd(split_args(args)[0] if args else "")
    deco = m.group(2)
    if deco is not None and _DETAILED_SOCKET.match(deco):
        return parse_fd(m.group(0).rstrip(", "))  # raises the -yy message
    return FdArg(int(m.group(1)), deco)


def fd_list(text: str) -> list[FdArg]:
    """`[3<socket:[1]>, 4<socket:[2]>]` as descriptors."""
    inner = text.strip()
    if not (inner.startswith("[") and inner.endswith("]")):
        raise _Malformed("args", f"expected a list of descriptors, got {text!r}")
    return [parse_fd(p) for p in split_args(inner[1:-1]) if p]


def scm_rights(args: str) -> list[FdArg] | None:
    """The descriptors of the SCM_RIGHTS control messages in a sendmsg/recvmsg struct
    (several messages are concatenated), or None when there are none."""
    key = "cmsg_type=SCM_RIGHTS, cmsg_data="
    found: list[FdArg] | None = None
    start = 0
    while True:
        at = args.find(key, start)
        if at < 0:
            return found
        i = at + len(key)
        if i >= len(args) or args[i] != "[":
            # Truncated or unreadable data (`cmsg_data=0x...`): no descriptors to read.
            raise _Malformed("args", "SCM_RIGHTS data that is not a list of descriptors")
        # Find the matching `]`: decorations hold brackets too, balanced.
        depth = 0
        j = i
        while j < len(args):
            if args[j] == "<" and args[j - 1].isdigit():
                end = args.find(">", j)
                j = len(args) if end < 0 else end
            elif args[j] == "[":
                depth += 1
            elif args[j] == "]":
                depth -= 1
                if depth == 0:
                    break
            j += 1
        else:
            raise _Malformed("args", "SCM_RIGHTS list without its closing ']'")
        found = (found or []) + fd_list(args[i : j + 1])
        start = j + 1


def _clock(m: re.Match[str]) -> float | None:
    if m.group("epoch"):
        return float(m.group("epoch"))
    if m.group("clock"):
        h, mi, s = m.group("clock").split(":")
        return int(h) * 3600 + int(mi) * 60 + float(s)
    return None


def _return(text: str) -> tuple[str, str | None, str | None]:
    text = _DURATION.sub("", text.strip())
    m = _RETVAL.match(text)
    if m is None:
        raise _Malformed("result", f"cannot read the return value {text!r}")
    return m.group("value"), (m.group("deco") or "")[1:-1] or None, m.group("errno")


def read_log(
    path: Path, root_pid: int | None = None, keep: Callable[[str], bool] | None = None
) -> Iterator[Record]:
    """The log's records in order: syscalls at their return (with the arguments of the
    call line and of the resumed line joined), entries of unfinished calls, and task
    exits. Signals, `strace:` messages and unknown lines of strace's own are skipped;
    anything else that does not read raises TraceError naming the file and line.

    A line without a pid prefix belongs to the traced command's process, `root_pid`:
    strace writing to stderr prefixes only once a second task exists, and a log of
    `strace -f -o FILE` prefixes every line. `keep`, when given, picks the raw lines worth
    parsing (pass 1 needs few); it must keep every unfinished and resumed line."""
    pending: dict[int, Entry] = {}
    try:
        f = open(path, encoding="utf-8", errors="surrogateescape")  # noqa: SIM115
    except OSError as e:
        raise TraceError(str(path), None, None, f"cannot open: {e.strerror}") from None
    with f:
        for number, raw in enumerate(f, 1):
            line = raw.rstrip("\n")
            if not line.strip() or line.startswith("strace: "):
                continue
            if not raw.endswith("\n") and not line.rstrip().endswith((")", "+++", "---")):
                raise TraceError(
                    str(path), number, None, "truncated last line (no newline, incomplete call)"
                )
            m = _PREFIX.match(line)
            assert m is not None  # every part of the prefix is optional
            body = line[m.end() :].rstrip()
            pid_text = m.group("bpid") or m.group("pid")
            if pid_text is not None:
                tid = int(pid_text)
            elif root_pid is not None:
                tid = root_pid
            elif not _looks_like_strace(line[m.end() :].rstrip()):
                raise TraceError(str(path), number, None, f"not a line of strace: {line[:80]!r}")
            else:
                raise TraceError(
                    str(path),
                    number,
                    None,
                    "a line without a pid prefix: give the traced command's pid "
                    "(--root-pid PID), or record with strace -f -o FILE, which prefixes "
                    "every line with its pid",
                )
            if keep is not None and not keep(raw):
                continue
            when = _clock(m)
            try:
                record = _parse_body(tid, body, number, when, pending)
            except _Malformed as e:
                raise TraceError(str(path), number, e.field, e.message) from None
            if record is not None:
                yield record


def _looks_like_strace(body: str) -> bool:
    return bool(
        _CALL.match(body) or _RESUMED.match(body) or body.startswith(("+++", "---", "????"))
    )


def _parse_body(
    tid: int, body: str, number: int, when: float | None, pending: dict[int, Entry]
) -> Record | None:
    if body.startswith("---") and body.endswith("---"):
        return None  # a signal
    if body.startswith("+++"):
        m = _EXIT.match(body)
        if m is None:
            raise _Malformed(None, f"unknown strace status line {body!r}")
        pending.pop(tid, None)
        old = m.group("old")
        return TaskExit(tid, number, when, int(old) if old else None)
    if "????" in body or body.startswith("<detached"):
        return None  # strace could not name the call, or detached: nothing to replay
    resumed = _RESUMED.match(body)
    if resumed is not None:
        name = resumed.group("name")
        entry = pending.pop(tid, None)
        if entry is None or entry.name != name:
            raise _Malformed(
                None,
                f"'<... {name} resumed>' without an earlier '{name}(... <unfinished ...>' "
                f"line of pid {tid}: is the log complete (strace -f from the start)?",
            )
        rest = resumed.group("rest")
        if rest.endswith(_UNFINISHED):
            # Resumed and interrupted again before returning (rare, on a signal).
            pending[tid] = Entry(
                tid, name, entry.args + rest[: -len(_UNFINISHED)], entry.line, when
            )
            return None
        return _complete(tid, name, entry.args + rest, number, entry.line, when or entry.time)
    call = _CALL.match(body)
    if call is None:
        raise _Malformed(None, f"not a line of strace: {body[:80]!r}")
    name, rest = call.group("name"), call.group("rest")
    if rest.endswith(_UNFINISHED):
        _no_detailed_sockets(rest)
        entry = Entry(tid, name, rest[: -len(_UNFINISHED)], number, when)
        pending[tid] = entry
        return entry
    return _complete(tid, name, rest, number, number, when)


def _complete(
    tid: int, name: str, rest: str, number: int, entry_line: int, when: float | None
) -> Syscall | None:
    _no_detailed_sockets(rest)
    m = _RETURN.match(rest)
    if m is None:
        raise _Malformed("result", f"{name}(...) without ') = RESULT': a truncated line?")
    value, deco, errno = _return(m.group("ret"))
    return Syscall(tid, name, m.group("args"), value, deco, errno, number, entry_line, when)


# --- pass 1: which receive took which send ------------------------------------------


@dataclass
class _Send:
    entry_line: int
    tid: int
    key: tuple[str, ...]
    ok: bool = False
    receiver: int | None = None  # the receiving process
    receive_line: int | None = None
    channel: str | None = None  # the socket it was received from (its queue, L14)


@dataclass
class _Receive:
    line: int
    tid: int
    key: tuple[str, ...]
    pid: int | None = None
    via: str | None = None  # strace's identity of the socket received from


def _key(fds: list[FdArg]) -> tuple[str, ...]:
    return tuple(f.deco or "" for f in fds)


def _clone_child(call: Syscall) -> tuple[int, bool] | None:
    """(child tid, is a thread) for a successful call that made a task."""
    if call.name not in ("clone", "clone3", "fork", "vfork") or not call.ok:
        return None
    flags = _CLONE_FLAGS.search(call.args)
    thread = flags is not None and "CLONE_THREAD" in flags.group("flags").split("|")
    return call.int_value(), thread


@dataclass
class Pairing:
    """The outcome of pass 1: send entry line -> its receive, and back."""

    sends: dict[int, _Send]
    by_receive: dict[int, _Send]
    unreceived: int
    unsent: int


def pair_messages(path: Path, root_pid: int | None = None) -> Pairing:
    sends: list[_Send] = []
    open_sends: dict[int, _Send] = {}  # tid -> a send whose return is not read yet
    receives: list[_Receive] = []
    tgid: dict[int, int] = {}
    unresolved: dict[int, list[_Receive]] = defaultdict(list)
    for rec in read_log(path, root_pid, _pass1_line):
        if isinstance(rec, TaskExit):
            tgid.pop(rec.tid, None)
            continue
        if rec.name == "sendmsg":
            # strace prints a sendmsg's message at the call; a resumed line only ends it.
            if isinstance(rec, Entry):
                fds = _scm(rec) if "SCM_RIGHTS" in rec.args else None
                if fds:
                    send = _Send(rec.line, rec.tid, _key(fds))
                    sends.append(send)
                    open_sends[rec.tid] = send
            elif rec.entry_line != rec.line:
                finished = open_sends.pop(rec.tid, None)
                if finished is not None:
                    finished.ok = rec.ok
            elif "SCM_RIGHTS" in rec.args:
                fds = _scm(rec)
                if fds:
                    sends.append(_Send(rec.line, rec.tid, _key(fds), ok=rec.ok))
            continue
        if not isinstance(rec, Syscall):
            continue
        if rec.name == "recvmsg" and rec.ok and "SCM_RIGHTS" in rec.args:
            fds = _scm(rec)
            if fds:
                r = _Receive(rec.line, rec.tid, _key(fds), tgid.get(rec.tid), _via(rec))
                receives.append(r)
                if r.pid is None:
                    unresolved[rec.tid].append(r)
        else:
            child = _clone_child(rec)
            if child is not None:
                tid, thread = child
                parent = tgid.get(rec.tid, rec.tid)
                tgid[tid] = parent if thread else tid
                for r in unresolved.pop(tid, []):
                    r.pid = tgid[tid]
    for tid, waiting_receives in unresolved.items():
        # A task no clone made: the traced command itself, or one strace attached to.
        for r in waiting_receives:
            r.pid = tid
    # Each receive takes the earliest successful send of the same descriptors that was
    # under way before it returned.
    waiting: dict[tuple[str, ...], deque[_Send]] = defaultdict(deque)
    by_key: dict[tuple[str, ...], list[_Send]] = defaultdict(list)
    for s in sends:
        if s.ok:
            by_key[s.key].append(s)
    cursor: dict[tuple[str, ...], int] = defaultdict(int)
    by_receive: dict[int, _Send] = {}
    unsent = 0
    for r in receives:
        candidates = by_key.get(r.key, [])
        q = waiting[r.key]
        while cursor[r.key] < len(candidates) and candidates[cursor[r.key]].entry_line < r.line:
            q.append(candidates[cursor[r.key]])
            cursor[r.key] += 1
        if not q or r.pid is None:
            unsent += 1
            continue
        s = q.popleft()
        s.receiver, s.receive_line, s.channel = r.pid, r.line, r.via
        by_receive[r.line] = s
    return Pairing(
        {s.entry_line: s for s in sends},
        by_receive,
        sum(1 for s in sends if s.ok and s.receiver is None),
        unsent,
    )


def _pass1_line(raw: str) -> bool:
    """The lines pass 1 reads: messages with descriptors, the calls that make tasks, task
    exits, and every unfinished or resumed line (so the two halves stay paired)."""
    return (
        "SCM_RIGHTS" in raw
        or "clone" in raw
        or "fork(" in raw
        or "+++" in raw
        or "resumed>" in raw
        or "<unfinished" in raw
    )


def _via(rec: Syscall) -> str | None:
    """The identity of the socket a recvmsg read from: the message's queue (L14). Both
    ends of the message's events name it, whatever the sender's socket is called."""
    try:
        return first_fd(rec.args).deco
    except _Malformed:
        return None


def _scm(rec: Syscall | Entry) -> list[FdArg] | None:
    try:
        return scm_rights(rec.args)
    except _Malformed:
        return None  # unreadable control data: the replay reports it with its line


# --- pass 2: replay ------------------------------------------------------------------


@dataclass
class Fd:
    """A tracked descriptor: the identity written into the trace, the identity strace
    prints for it (pipes' two ends share one inode, pidfds have no inode: the trace keeps
    them apart), and its close-on-exec flag."""

    ident: str
    seen: str
    cloexec: bool


@dataclass
class Proc:
    pid: int
    fds: dict[int, Fd] = field(default_factory=dict)
    tasks: set[int] = field(default_factory=set)
    # Descriptors the replay closed without a close call (close-on-exec at exec, and
    # close_range): number -> (trace identity, strace's identity). If strace later shows
    # the same object still open at that number, the kernel kept what the model drops,
    # and the importer writes that close instead of hiding it.
    dropped: dict[int, tuple[str, str]] = field(default_factory=dict)


@dataclass
class Summary:
    lines: int = 0
    syscalls: int = 0
    events: int = 0
    processes: int = 0
    unreceived_sends: int = 0
    unmatched_receives: int = 0
    untracked_skipped: int = 0
    # SCM_RIGHTS messages that carried only untracked descriptors (a pty, a file of the
    # untraced openat, ...): no event, so nothing of theirs was checked; and the untracked
    # descriptors left out of messages that also carried tracked ones (those are written).
    untracked_messages: int = 0
    untracked_passed: int = 0
    # Per such message or descriptor: the line, who passed what to whom.
    left_out: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def text(self) -> str:
        parts = [
            f"{self.events} events from {self.syscalls} syscalls in {self.processes} process(es)",
            f"{self.untracked_skipped} calls on untracked descriptors left out",
        ]
        if self.untracked_messages:
            parts.append(
                f"{self.untracked_messages} SCM_RIGHTS message(s) carried only descriptors "
                "whose origin the log does not show (standard streams, ptys, files of the "
                "untraced openat, inherited from outside the log), left out: nothing of "
                "theirs was checked"
            )
        if self.untracked_passed:
            parts.append(
                f"{self.untracked_passed} such descriptor(s) left out of SCM_RIGHTS "
                "messages written with the tracked ones they carried"
            )
        if self.unreceived_sends:
            parts.append(
                f"{self.unreceived_sends} SCM_RIGHTS message(s) sent but never received, left out"
            )
        if self.unmatched_receives:
            parts.append(
                f"{self.unmatched_receives} SCM_RIGHTS message(s) received with no send "
                "in the log, their descriptors untracked"
            )
        notes = [f"\nleft out: {n}" for n in self.left_out[:10]]
        if len(self.left_out) > 10:
            notes.append(f"\nleft out: ... and {len(self.left_out) - 10} more")
        warnings = [f"\nwarning: {w}" for w in self.warnings[:20]]
        return "; ".join(parts) + "".join(notes) + "".join(warnings)


class Replay:
    """Pass 2: replays each process's descriptor table and emits events to `sink`."""

    def __init__(self, path: Path, pairing: Pairing, sink: EventSink, root_pid: int | None) -> None:
        self.path = path
        self.pairing = pairing
        self.sink = sink
        self.root_pid = root_pid
        self.procs: dict[int, Proc] = {}  # tid -> its process
        self.held: dict[int, list[Record]] = defaultdict(list)  # tasks not claimed yet
        self.entries: dict[int, Entry] = {}  # send entry line -> the unfinished call
        self.emitted_sends: set[int] = set()
        # send entry line -> (sender pid, the trace identity of each passed descriptor,
        # None where the sender did not track it)
        self.sent: dict[int, tuple[int, list[str | None]]] = {}
        self.started = False
        self.line = 0
        self.known_pids: set[int] = set()
        self.pidfd_count = 0
        self.t0: float | None = None
        self.summary = Summary(
            unreceived_sends=pairing.unreceived, unmatched_receives=pairing.unsent
        )

    # -- output
    def emit(self, proc: Proc, tid: int, when: float | None, call: str, **fields: Any) -> None:
        event: dict[str, Any] = {"pid": proc.pid, "call": call}
        if tid != proc.pid:
            event["tid"] = tid
        if when is not None:
            if self.t0 is None:
                self.t0 = when
            event["time"] = round(when - self.t0, 6)
        event.setdefault("args", {})
        event.update(fields)
        event.setdefault("result", "ok")
        self.sink(event, self.line)
        self.summary.events += 1

    # -- the main loop
    def run(self) -> Summary:
        last = 0
        for rec in read_log(self.path, self.root_pid):
            last = rec.line
            self.dispatch(rec)
        for tid, records in list(self.held.items()):
            # Tasks no clone in the log made (strace attached to them, or their parent's
            # clone never returned): replayed as processes of unknown origin.
            self.summary.warnings.append(
                f"pid {tid}: no clone in the log made it; its {len(records)} line(s) are "
                "replayed as a process whose inherited descriptors are unknown"
            )
            proc = Proc(tid, tasks={tid})
            self.procs[tid] = proc
            self.known_pids.add(tid)
            self.summary.processes += 1
            self.replay_held(tid)
        self.summary.lines = last
        return self.summary

    def dispatch(self, rec: Record) -> None:
        tid = rec.tid
        if tid not in self.procs:
            if not self.started:
                # The first task of the log is the traced command.
                self.procs[tid] = Proc(tid, tasks={tid})
                self.known_pids.add(tid)
                self.summary.processes += 1
                self.started = True
            else:
                self.held[tid].append(rec)
                return
        self.line = rec.line
        try:
            self.apply(self.procs[tid], rec)
        except _Malformed as e:
            raise TraceError(str(self.path), rec.line, e.field, e.message) from None

    def replay_held(self, tid: int) -> None:
        for rec in self.held.pop(tid, []):
            self.dispatch(rec)

    # -- helpers
    def tracked(self, proc: Proc, arg: FdArg) -> Fd | None:
        """The tracked descriptor an argument names, checked against strace's decoding."""
        fd = proc.fds.get(arg.fd)
        if fd is None:
            return None
        if arg.deco is None or arg.deco != fd.seen:
            # strace says something else is (or nothing is) open there: a close the replay
            # missed. Say so instead of writing events about the wrong object.
            self.summary.warnings.append(
                f"pid {proc.pid}: descriptor {arg.fd} should be {fd.seen} but strace shows "
                f"{arg.deco or 'nothing open'}; forgetting it"
            )
            del proc.fds[arg.fd]
            return None
        return fd

    def new_fd(self, proc: Proc, number: int, seen: str, ident: str, cloexec: bool) -> Fd:
        if number in proc.fds and number >= 0:
            self.summary.warnings.append(
                f"pid {proc.pid}: descriptor {number} is made again while the replay holds it "
                "open; a close the log did not show"
            )
        fd = Fd(ident, seen, cloexec)
        proc.fds[number] = fd
        return fd

    def skip(self) -> None:
        self.summary.untracked_skipped += 1

    @staticmethod
    def result(call: Syscall) -> dict[str, Any]:
        if call.errno is not None:
            return {"result": "error", "error": call.errno}
        return {"result": "ok"}

    # -- one record
    def apply(self, proc: Proc, rec: Record) -> None:
        if isinstance(rec, TaskExit):
            self.task_exit(proc, rec)
            return
        if isinstance(rec, Entry):
            if rec.name == "sendmsg":
                self.entries[rec.line] = rec
            return
        self.summary.syscalls += 1
        if rec.value == "?" and rec.name not in ("exit_group",):
            return  # interrupted and restarted, or the task died inside the call
        if rec.deco is not None and rec.ok:
            proc.dropped.pop(rec.int_value(), None)  # the number holds something new
        elif rec.name == "recvmsg" and "SCM_RIGHTS" in rec.args:
            for arg in _scm(rec) or []:
                proc.dropped.pop(arg.fd, None)
        handler = getattr(self, f"on_{rec.name}", None)
        if handler is not None:
            handler(proc, rec)

    def task_exit(self, proc: Proc, rec: TaskExit) -> None:
        if rec.superseded is not None:
            # A thread other than the leader called execve and took the process's pid:
            # a task is gone, the process goes on (its table was handled at the exec).
            old = self.procs.pop(rec.superseded, None)
            if old is not None:
                old.tasks.discard(rec.superseded)
            return
        del self.procs[rec.tid]
        proc.tasks.discard(rec.tid)
        if not proc.tasks:
            proc.fds.clear()
            self.emit(proc, proc.pid, rec.time, "process_exit")

    def socket_type(self, proc: Proc, call: Syscall, flags: str) -> str | None:
        """The model's socket type ("stream" or "dgram") from the type argument
        (SOCK_DGRAM|SOCK_CLOEXEC, ...); None, with a warning, for a type the model does
        not know (the socket stays untracked)."""
        for part in flags.split("|"):
            found = _SOCKET_TYPES.get(part.strip())
            if found is not None:
                return found
        self.summary.warnings.append(
            f"line {call.line}: pid {proc.pid} makes a socket of type {flags!r}, neither "
            "connection-oriented (SOCK_STREAM, SOCK_SEQPACKET) nor connectionless "
            "(SOCK_DGRAM, SOCK_RAW); it is left untracked, and so are its calls"
        )
        self.skip()
        return None

    def on_socket(self, proc: Proc, call: Syscall) -> None:
        if not call.ok:
            return
        seen = self.created(call)
        args = split_args(call.args)
        if len(args) < 2:
            raise _Malformed("args", "socket(...) without its domain and type")
        kind = self.socket_type(proc, call, args[1])
        if kind is None:
            return
        cloexec = "SOCK_CLOEXEC" in args[1]
        fd = self.new_fd(proc, call.int_value(), seen, seen, cloexec)
        self.emit(
            proc,
            call.tid,
            call.time,
            "socket",
            args={"type": kind},
            value=call.int_value(),
            socket=fd.ident,
        )
        if cloexec:
            self.set_cloexec(proc, call, call.int_value(), fd, True)

    def created(self, call: Syscall) -> str:
        if call.deco is None:
            raise _Malformed(
                "result",
                f"{call.name} returned a bare descriptor number: this log was recorded "
                "without --decode-fds=path; re-record with strace -f --decode-fds=path,pidfd",
            )
        if _DETAILED_SOCKET.match(call.deco):
            parse_fd(f"0<{call.deco}>")  # raises the -yy message
        return call.deco

    def set_cloexec(self, proc: Proc, call: Syscall, number: int, fd: Fd, on: bool) -> None:
        fd.cloexec = on
        self.emit(
            proc,
            call.tid,
            call.time,
            "set_cloexec",
            args={"handle": number, "on": on},
            socket=fd.ident,
        )

    def on_socketpair(self, proc: Proc, call: Syscall) -> None:
        if not call.ok:
            return
        args = split_args(call.args)
        if len(args) < 4:
            raise _Malformed("args", "socketpair(...) without its four arguments")
        ends = fd_list(args[3])
        if len(ends) != 2 or any(e.deco is None for e in ends):
            raise _Malformed("args", "socketpair's result is not two decoded descriptors")
        kind = self.socket_type(proc, call, args[1])
        if kind is None:
            return
        cloexec = "SOCK_CLOEXEC" in args[1]
        fds = [self.new_fd(proc, e.fd, e.deco or "", e.deco or "", cloexec) for e in ends]
        self.emit(
            proc,
            call.tid,
            call.time,
            "socketpair",
            args={"type": kind},
            value=[e.fd for e in ends],
            sockets=[f.ident for f in fds],
        )
        if cloexec:
            for e, f in zip(ends, fds, strict=True):
                self.set_cloexec(proc, call, e.fd, f, True)

    def on_pipe2(self, proc: Proc, call: Syscall) -> None:
        if not call.ok:
            return
        args = split_args(call.args)
        ends = fd_list(args[0])
        cloexec = len(args) > 1 and "O_CLOEXEC" in args[1]
        for end, side in zip(ends, ("r", "w"), strict=False):
            seen = end.deco or ""
            # Both ends show the same pipe inode; the trace names each end apart, since
            # closing one does not close the other.
            fd = self.new_fd(proc, end.fd, seen, f"{seen}:{side}", cloexec)
            self.emit(proc, call.tid, call.time, "open_other", value=end.fd, socket=fd.ident)
            if cloexec:
                self.set_cloexec(proc, call, end.fd, fd, True)

    on_pipe = on_pipe2

    def on_pidfd_open(self, proc: Proc, call: Syscall) -> None:
        if not call.ok:
            return
        seen = self.created(call)
        self.pidfd_count += 1
        # A pidfd has no inode in strace's output; two pidfds of one process are two
        # objects, numbered in the order they were opened.
        ident = f"pidfd:{seen.removeprefix('pid:')}#{self.pidfd_count}"
        fd = self.new_fd(proc, call.int_value(), seen, ident, True)
        self.emit(proc, call.tid, call.time, "open_other", value=call.int_value(), socket=ident)
        # pidfd_open always sets close-on-exec (pidfd_open(2)).
        self.set_cloexec(proc, call, call.int_value(), fd, True)

    def on_simple(self, proc: Proc, call: Syscall) -> None:
        """bind, listen, connect: one descriptor in, a result out. A connect to an
        AF_UNSPEC address (which dissolves a datagram socket's association) says so."""
        arg = first_fd(call.args)
        fd = self.tracked(proc, arg)
        if fd is None:
            self.skip()
            return
        args: dict[str, Any] = {"handle": arg.fd}
        if call.name == "connect" and _UNSPEC in call.args:
            args["unspec"] = True
        self.emit(
            proc,
            call.tid,
            call.time,
            call.name,
            args=args,
            socket=fd.ident,
            **self.result(call),
        )

    on_bind = on_listen = on_connect = on_simple

    def on_accept(self, proc: Proc, call: Syscall) -> None:
        args = split_args(call.args)
        arg = parse_fd(args[0])
        listener = self.tracked(proc, arg)
        if listener is None:
            self.skip()
            return
        if not call.ok:
            self.emit(
                proc,
                call.tid,
                call.time,
                "accept",
                args={"handle": arg.fd},
                socket=listener.ident,
                **self.result(call),
            )
            return
        seen = self.created(call)
        cloexec = call.name == "accept4" and len(args) > 3 and "SOCK_CLOEXEC" in args[3]
        fd = self.new_fd(proc, call.int_value(), seen, seen, cloexec)
        self.emit(
            proc,
            call.tid,
            call.time,
            "accept",
            args={"handle": arg.fd},
            value=call.int_value(),
            socket=fd.ident,
        )
        if cloexec:
            self.set_cloexec(proc, call, call.int_value(), fd, True)

    on_accept4 = on_accept

    def on_close(self, proc: Proc, call: Syscall) -> None:
        arg = first_fd(call.args)
        fd = self.tracked(proc, arg) if arg.deco is not None else proc.fds.get(arg.fd)
        dropped = proc.dropped.pop(arg.fd, None)
        if fd is None and dropped is not None and dropped[1] == arg.deco:
            self.summary.warnings.append(
                f"line {call.line}: pid {proc.pid} closes descriptor {arg.fd} ({arg.deco}), "
                "which its exec or close_range should have closed; written as it happened"
            )
            self.emit(
                proc,
                call.tid,
                call.time,
                "close",
                args={"handle": arg.fd},
                socket=dropped[0],
                **self.result(call),
            )
            return
        if fd is None and not (arg.deco is None and call.errno == "EBADF"):
            self.skip()
            return
        if fd is not None and (call.ok or call.errno in ("EINTR", "EBADF")):
            # Linux releases the descriptor even when close reports EINTR (close(2)); an
            # EBADF on a descriptor the replay holds means the kernel has nothing there,
            # and the event below lets the checker say so.
            proc.fds.pop(arg.fd, None)
        self.emit(
            proc,
            call.tid,
            call.time,
            "close",
            args={"handle": arg.fd},
            **({"socket": fd.ident} if fd is not None else {}),
            **self.result(call),
        )

    def on_close_range(self, proc: Proc, call: Syscall) -> None:
        if not call.ok:
            return
        args = split_args(call.args)
        low, high = parse_fd(args[0]).fd, int(args[1], 0)
        cloexec = len(args) > 2 and "CLOSE_RANGE_CLOEXEC" in args[2]
        hit = [n for n in proc.fds if low <= n <= high]
        if not hit:
            self.skip()
            return
        for n in hit:
            if cloexec:
                proc.fds[n].cloexec = True
            else:
                gone = proc.fds.pop(n)
                proc.dropped[n] = (gone.ident, gone.seen)
        self.emit(
            proc,
            call.tid,
            call.time,
            "close_range",
            args={"low": low, "high": high, "cloexec": cloexec},
        )

    def dup(self, proc: Proc, call: Syscall, arg: FdArg, to: int | None, cloexec: bool) -> None:
        source = self.tracked(proc, arg)
        if not call.ok:
            if source is not None or arg.deco is None:
                self.emit(
                    proc,
                    call.tid,
                    call.time,
                    "dup",
                    args={
                        "handle": arg.fd,
                        **({"to": to} if to is not None else {}),
                        "cloexec": cloexec,
                    },
                    **({"socket": source.ident} if source else {}),
                    **self.result(call),
                )
            else:
                self.skip()
            return
        new = call.int_value()
        if source is None:
            # An untracked descriptor lands on `new`: if a tracked one was there, the
            # kernel closed it, and that close is all the model needs to see.
            old = proc.fds.pop(new, None)
            if old is not None:
                self.emit(
                    proc, call.tid, call.time, "close", args={"handle": new}, socket=old.ident
                )
            else:
                self.skip()
            return
        if to is not None and to == arg.fd:
            return  # dup2(fd, fd): a no-op on an open descriptor
        proc.fds.pop(new, None)  # dup2/dup3 close what was there; the model knows
        fd = self.new_fd(proc, new, source.seen, source.ident, cloexec)
        self.emit(
            proc,
            call.tid,
            call.time,
            "dup",
            args={"handle": arg.fd, **({"to": to} if to is not None else {}), "cloexec": cloexec},
            value=new,
            socket=fd.ident,
        )

    def on_dup(self, proc: Proc, call: Syscall) -> None:
        self.dup(proc, call, first_fd(call.args), None, False)

    def on_dup2(self, proc: Proc, call: Syscall) -> None:
        args = split_args(call.args)
        self.dup(proc, call, parse_fd(args[0]), parse_fd(args[1]).fd, False)

    def on_dup3(self, proc: Proc, call: Syscall) -> None:
        args = split_args(call.args)
        cloexec = len(args) > 2 and "O_CLOEXEC" in args[2]
        self.dup(proc, call, parse_fd(args[0]), parse_fd(args[1]).fd, cloexec)

    def on_fcntl(self, proc: Proc, call: Syscall) -> None:
        args = split_args(call.args)
        if len(args) < 2:
            raise _Malformed("args", "fcntl(...) without a command")
        command = args[1]
        if command in ("F_DUPFD", "F_DUPFD_CLOEXEC"):
            self.dup(proc, call, parse_fd(args[0]), None, command == "F_DUPFD_CLOEXEC")
        elif command == "F_SETFD" and len(args) > 2:
            self.cloexec_change(proc, call, parse_fd(args[0]), "FD_CLOEXEC" in args[2])

    def on_ioctl(self, proc: Proc, call: Syscall) -> None:
        if "FIOCLEX" not in call.args and "FIONCLEX" not in call.args:
            return  # TCGETS and the like, on every file Python opens
        args = split_args(call.args)
        if len(args) > 1 and args[1] in ("FIOCLEX", "FIONCLEX"):
            self.cloexec_change(proc, call, parse_fd(args[0]), args[1] == "FIOCLEX")

    def cloexec_change(self, proc: Proc, call: Syscall, arg: FdArg, on: bool) -> None:
        fd = self.tracked(proc, arg)
        if fd is None or not call.ok:
            self.skip()
            return
        self.set_cloexec(proc, call, arg.fd, fd, on)

    def on_clone(self, proc: Proc, call: Syscall) -> None:
        child = _clone_child(call)
        if child is None:
            return
        tid, thread = child
        if thread:
            self.procs[tid] = proc
            proc.tasks.add(tid)
        else:
            # CLONE_VFORK and CLONE_VM children get a copy of the table like fork's;
            # CLONE_FILES without CLONE_THREAD (a shared table) is treated the same way.
            new = Proc(
                tid,
                {n: Fd(f.ident, f.seen, f.cloexec) for n, f in proc.fds.items()},
                {tid},
            )
            self.procs[tid] = new
            self.known_pids.add(tid)
            self.summary.processes += 1
            self.emit(proc, call.tid, call.time, "fork", args={"child": tid})
        self.replay_held(tid)

    on_clone3 = on_fork = on_vfork = on_clone

    def on_execve(self, proc: Proc, call: Syscall) -> None:
        if not call.ok:
            return
        # execve ends every other thread of the process without a line of theirs.
        for tid in proc.tasks - {call.tid}:
            self.procs.pop(tid, None)
        proc.tasks = {call.tid}
        for n in [n for n, f in proc.fds.items() if f.cloexec]:
            gone = proc.fds.pop(n)
            proc.dropped[n] = (gone.ident, gone.seen)
        self.emit(proc, call.tid, call.time, "exec")

    on_execveat = on_execve

    def on_exit_group(self, proc: Proc, call: Syscall) -> None:
        """The process exit is written at the last task's `+++ exited` line."""

    def on_pidfd_getfd(self, proc: Proc, call: Syscall) -> None:
        args = split_args(call.args)
        pidfd, target = parse_fd(args[0]), parse_fd(args[1])
        if pidfd.deco is None or not pidfd.deco.startswith("pid:"):
            self.skip()
            return
        source_pid = int(pidfd.deco.removeprefix("pid:"))
        fields: dict[str, Any] = {"args": {"source_pid": source_pid, "handle": target.fd}}
        source = self.procs.get(source_pid)
        if source is None or source.pid != source_pid:
            if source_pid in self.known_pids and not call.ok:
                # A process of the log that has exited: its error (ESRCH) is a statement
                # the model can check.
                self.emit(proc, call.tid, call.time, "pidfd_getfd", **fields, **self.result(call))
            else:
                self.skip()  # a process outside the log
            return
        fd = self.tracked(source, target) if target.deco is not None else None
        if fd is None and (call.ok or target.deco is not None):
            self.skip()  # an untracked descriptor of the source, or its failure
            return
        if not call.ok:
            self.emit(proc, call.tid, call.time, "pidfd_getfd", **fields, **self.result(call))
            return
        assert fd is not None
        new = self.new_fd(proc, call.int_value(), fd.seen, fd.ident, True)
        self.emit(
            proc,
            call.tid,
            call.time,
            "pidfd_getfd",
            **fields,
            value=call.int_value(),
            socket=new.ident,
        )
        # pidfd_getfd always sets close-on-exec on the new descriptor (pidfd_getfd(2)).
        self.set_cloexec(proc, call, call.int_value(), new, True)

    def on_sendmsg(self, proc: Proc, call: Syscall) -> None:
        self.entries.pop(call.entry_line, None)
        if call.entry_line in self.emitted_sends:
            return  # written when its receiver returned
        if "SCM_RIGHTS" not in call.args:
            return
        send = self.pairing.sends.get(call.entry_line)
        if send is None or not call.ok:
            return
        if send.receiver is None:
            return  # never received: counted in the summary
        self.send(proc, call.tid, call.time, call.args, send)

    def send(self, proc: Proc, tid: int, when: float | None, args: str, send: _Send) -> None:
        self.emitted_sends.add(send.entry_line)
        passed = scm_rights(args) or []
        fds = [self.tracked(proc, a) for a in passed]
        send_tracked = [f is not None for f in fds]
        self.sent[send.entry_line] = (proc.pid, [f.ident if f else None for f in fds])
        untracked = [a.deco or str(a.fd) for a, f in zip(passed, fds, strict=True) if f is None]
        if untracked:
            named = ", ".join(untracked)
            self.summary.left_out.append(
                f"line {send.entry_line}: pid {proc.pid}'s message to pid {send.receiver}, "
                f"which carried only untracked descriptors ({named})"
                if not any(send_tracked)
                else f"line {send.entry_line}: from pid {proc.pid}'s message to pid "
                f"{send.receiver}, the untracked {named} (its tracked ones are written)"
            )
        if not any(send_tracked):
            self.summary.untracked_messages += 1
            self.skip()
            return
        self.summary.untracked_passed += len(untracked)
        self.emit(
            proc,
            tid,
            when,
            "send_fds",
            args={
                "to": send.receiver,
                "handles": [a.fd for a, f in zip(passed, fds, strict=True) if f],
            },
            sockets=[f.ident for f in fds if f],
            **({"channel": send.channel} if send.channel else {}),
        )

    def on_recvmsg(self, proc: Proc, call: Syscall) -> None:
        if not call.ok or "SCM_RIGHTS" not in call.args:
            return
        received = scm_rights(call.args) or []
        send = self.pairing.by_receive.get(call.line)
        if send is None:
            self.skip()
            return
        if send.entry_line not in self.emitted_sends:
            entry = self.entries.pop(send.entry_line, None)
            sender = self.procs.get(send.tid)
            if entry is None or sender is None:
                self.summary.warnings.append(
                    f"line {call.line}: the message received here was sent by a line not "
                    "replayed yet; its descriptors are left untracked"
                )
                return
            self.send(sender, send.tid, entry.time, entry.args, send)
        sender_pid, idents = self.sent.pop(send.entry_line, (send.tid, []))
        if len(idents) != len(received):
            self.summary.warnings.append(
                f"line {call.line}: {len(received)} descriptor(s) received, "
                f"{len(idents)} sent (MSG_CTRUNC?); left untracked"
            )
            return
        flags = split_args(call.args)[-1]
        cloexec = "MSG_CMSG_CLOEXEC" in flags
        value, sockets = [], []
        for arg, ident in zip(received, idents, strict=True):
            if ident is None:
                continue
            fd = self.new_fd(proc, arg.fd, arg.deco or "", ident, cloexec)
            value.append(arg.fd)
            sockets.append(fd.ident)
        if not value:
            return
        self.emit(
            proc,
            call.tid,
            call.time,
            "recv_fds",
            args={"sender": sender_pid, "cloexec": cloexec},
            value=value,
            sockets=sockets,
            **({"channel": send.channel} if send.channel else {}),
        )


def import_log(path: str | Path, sink: EventSink, *, root_pid: int | None = None) -> Summary:
    """Read a strace log and send its events, in order, to `sink` (dicts with the fields
    of a TraceEvent but `seq`). Raises TraceError on a line that does not read."""
    log = Path(path)
    pairing = pair_messages(log, root_pid)
    return Replay(log, pairing, sink, root_pid).run()


def header(platform: str, recorder: str) -> TraceHeader:
    return TraceHeader(
        implementation="linux",
        platform=platform,
        level="api",
        recorder=recorder,
        profile_hint="linux-scm-rights",
    )


def write_trace(
    log: str | Path,
    out: str | Path,
    *,
    platform: str = "Linux",
    recorder: str = "strace via wsshare import strace",
    root_pid: int | None = None,
) -> Summary:
    """Import `log` into the trace file `out` ("-" for standard output). The file is
    written next to its final name and renamed at the end, so a log that fails to read
    leaves no half trace behind."""
    to_stdout = str(out) == "-"
    target = Path("/dev/stdout" if to_stdout else out)
    partial = target if to_stdout else target.with_name(target.name + ".partial")

    def write(event: dict[str, Any], line: int) -> None:
        try:
            writer.event(**event)
        except ValidationError as e:
            # The vocabulary does not know something the log shows (an errno, say): name
            # the line, since that is where a user can look.
            first = e.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or None
            raise TraceError(
                str(log),
                line,
                where,
                f"cannot write the {event['call']} event of this line: "
                f"{first['msg'].removeprefix('Value error, ')}",
            ) from None

    try:
        with TraceWriter(partial, header(platform, recorder)) as writer:
            summary = import_log(log, write, root_pid=root_pid)
    except BaseException:
        if not to_stdout:
            partial.unlink(missing_ok=True)
        raise
    if not to_stdout:
        partial.replace(target)
    return summary


def run_import(args: Any) -> int:
    """`wsshare import strace LOG [-o TRACE]`."""
    summary = write_trace(
        args.log,
        args.output,
        platform=args.platform,
        recorder=args.recorder,
        root_pid=args.root_pid,
    )
    print(f"{args.log}: {summary.text()}", file=sys.stderr)
    return 0

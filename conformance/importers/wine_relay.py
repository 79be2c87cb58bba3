"""`wsshare import wine-relay LOG`: a Wine relay log of an unmodified program as a trace.

Run the program with `WINEDEBUG=+pid,+relay` and the registry value
`HKCU\\Software\\Wine\\Debug\\RelayInclude` set to
`ws2_32.*;kernel32.CreateProcessW;kernel32.ExitProcess` (recording.md). Each thread's
lines then read `PID:TID:Call ws2_32.F(ARGS) ret=CALLER` and, when F returns,
`PID:TID:Ret  ws2_32.F() retval=VALUE ret=CALLER`; pids and tids are hex, arguments are
raw hex words (pointers stay opaque). A `+timestamp` prefix (`SECONDS:`) is read as the
event's time.

What the log gives, and what is inferred:

- the call, the process and thread, the handle values (arguments and return values),
  the target pid of WSADuplicateSocket, whether its buffer was NULL, the result;
- the error of a failed call: the return value of the next `WSAGetLastError` on the same
  thread (WSAStartup returns its error). A failed call whose error the program never read
  (the thread made another call first, exited, or the log ended) is kept with result
  `failed` and no error (PostgreSQL never reads the error of its backends' closes);
- WSARecv and WSASend return 0 on success and SOCKET_ERROR on failure, not a byte count:
  a WSARecv that succeeds is a `recv` that read data (the count is behind a pointer, so
  a WSARecv that read 0 bytes, the peer's end of stream, cannot be told apart). One that
  fails with WSA_IO_PENDING started an overlapped operation whose completion the log does
  not show (the model has no overlapped I/O): it is left out, and so is an overlapped one
  (non-NULL lpOverlapped) whose error the program never read, since that may have been
  WSA_IO_PENDING too. A plain `recv` returning 0 is the peer's end of stream, which the
  model does not have: left out;
- ioctlsocket(FIONBIO) and WSAIoctl(FIONBIO): the mode is behind a pointer, so the
  event's `nonblocking` is null (unobserved: the checker tries both). Their other
  commands are not modelled;
- a call with no Ret line (the log ends, or its process exits, inside the call) is a
  `call` event with no return, written where the log says no more can come: before the
  process's `process_exit`, or at the end;
- info identity: the 628 bytes are behind a pointer. Each successful WSADuplicateSocket
  mints a distinct info, named `relay:PID:N` (the N-th info that process minted); a
  WSASocket with an info (FROM_PROTOCOL_INFO, or a non-NULL lpProtocolInfo) carries no
  digest, so the checker tries every info minted so far (traces/README.md) and finds the
  one that explains the run, a second use or a use in the wrong process included;
- socket identities: not visible (no addresses in the log); the checker follows handles;
- a blocking recv: if another modelled call is logged between its Call and Ret lines, it
  becomes a `call` and a `return` event; otherwise one event;
- process exit: `kernel32.ExitProcess` when RelayInclude lists it;
- not imported: socket options (their values are behind pointers), and every ws2_32
  function the model has no action for (getsockname, select, ...).

The summary accounts for every ws2_32 call of the log: imported as an event, read as an
error (WSAGetLastError), or left out with its reason, counted by function name.

The log is read line by line; memory depends on the calls still open, not on the log's
length. Malformed input raises ImportFailed naming the file, the line and the field.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from wsshare.model import WsaError

from ..trace import TraceError, TraceHeader, TraceWriter

HOW_TO_RECORD = (
    "record one with: wine64 reg add 'HKCU\\Software\\Wine\\Debug' /v RelayInclude /t REG_SZ "
    "/d 'ws2_32.*;kernel32.CreateProcessW;kernel32.ExitProcess' /f, then "
    "WINEDEBUG=+pid,+relay wine64 PROGRAM 2> LOG"
)

# `[SECONDS:]PID:TID:Call|Ret  DLL.FUNC(ARGS) [retval=X ]ret=CALLER`
_LINE = re.compile(
    r"^(?:(?P<time>\d+\.\d+):)?(?P<pid>[0-9a-fA-F]+):(?P<tid>[0-9a-fA-F]+):"
    r"(?P<kind>Call|Ret)\s+(?P<dll>[\w.]+)\.(?P<func>\w+)\((?P<args>.*)\)"
    r"(?:\s+retval=(?P<retval>\S+))?\s+ret=(?P<caller>\S+)\s*$"
)
# Relay lines of other kinds ("Call PE DLL (...)", "trace:relay:...") are not calls.
_RELAY_HINT = re.compile(r"^(?:\d+\.\d+:)?[0-9a-fA-F]+:[0-9a-fA-F]+:(?:Call|Ret)\s+\w+\.\w+\(")

FROM_PROTOCOL_INFO = 0xFFFFFFFF
SOCKET_ERROR = 0xFFFFFFFF  # an int -1, as the relay prints a 32-bit return value
FIONBIO = 0x8004667E
# How long output may wait for a failed call's WSAGetLastError before the call is kept
# as "failed": a bound on memory for a thread that fails a call and then stays silent.
MAX_HELD = 10_000

# Why a call is left out of the trace (the summary's keys).
NOT_MODELLED = "not modelled"
END_OF_STREAM = "the peer's end of stream (recv returned 0), not modelled"
PENDING = "overlapped, pending: completion not in the log"
MAYBE_PENDING = (
    "overlapped, failed with its error never read (it may be pending): completion not in the log"
)

# ioctlsocket and WSAIoctl commands by name, so the summary says which were left out.
_IOCTL_NAMES = {
    0x8004667E: "FIONBIO",
    0x4004667F: "FIONREAD",
    0x40047307: "SIOCATMARK",
    0x4004747F: "SIO_GET_INTERFACE_LIST",
    0x48000016: "SIO_ADDRESS_LIST_QUERY",
    0x4800001B: "SIO_BSP_HANDLE",
    0x4800001C: "SIO_BSP_HANDLE_SELECT",
    0x4800001D: "SIO_BSP_HANDLE_POLL",
    0x48000022: "SIO_BASE_HANDLE",
    0x98000004: "SIO_KEEPALIVE_VALS",
    0x9800000C: "SIO_UDP_CONNRESET",
    0x98000010: "SIO_LOOPBACK_FAST_PATH",
    0xC8000006: "SIO_GET_EXTENSION_FUNCTION_POINTER",
    0xC8000014: "SIO_ROUTING_INTERFACE_QUERY",
}


class ImportFailed(TraceError):
    """Malformed relay log: names the file, the line (1-based) and the field."""


@dataclass
class _Open:
    """A call whose Ret line has not come yet."""

    line: int
    func: str
    args: list[int]
    time: float | None
    announced: bool = False  # a `call` event was written for it (a blocking recv)


@dataclass
class _Out:
    """An event to write, in log order. While `waits` names a thread, the event waits for
    that thread's next WSAGetLastError to say its error, and everything after it waits."""

    fields: dict[str, Any]
    func: str = ""  # the ws2_32 function; "" for an event that is no call's (exit, announce)
    waits: tuple[int, int] | None = None
    overlapped: bool = False  # a WSARecv/WSASend with an lpOverlapped


@dataclass
class Summary:
    lines: int = 0
    calls: int = 0  # ws2_32 Call lines
    events: int = 0  # events written (process exits and blocked calls' `call` halves too)
    imported: int = 0  # ws2_32 calls that became events
    errors_read: int = 0  # WSAGetLastError calls: the error of the call before, if any
    unread_errors: int = 0  # imported with result "failed": the error was never read
    # calls with no Ret line, kept as `call` events: function -> the lines of their Calls
    unreturned: dict[str, list[int]] = field(default_factory=dict)
    # reason -> function (ioctls with their command) -> calls left out
    left_out: dict[str, dict[str, int]] = field(default_factory=dict)

    def line(self) -> str:
        left = sum(sum(v.values()) for v in self.left_out.values())
        text = (
            f"{self.events} events from {self.calls} ws2_32 calls in {self.lines} lines "
            f"({self.imported} imported, {self.errors_read} WSAGetLastError read for errors, "
            f"{left} left out)"
        )
        if self.unread_errors:
            text += (
                f"; {self.unread_errors} failed call(s) whose error the program never read, "
                "kept as 'failed'"
            )
        if self.unreturned:
            calls = ", ".join(
                f"{name} x{len(lines)} (line{'s' if len(lines) > 1 else ''} "
                f"{', '.join(map(str, lines))})"
                for name, lines in sorted(self.unreturned.items())
            )
            text += f"; no Ret in the log, kept as 'call' events: {calls}"
        for reason, counts in sorted(self.left_out.items()):
            names = ", ".join(f"{k} x{v}" for k, v in sorted(counts.items()))
            text += f"; left out, {reason}: {names}"
        return text


# ws2_32 functions the model has an action for (ANSI and wide forms alike).
_SOCKET = {"WSASocketW", "WSASocketA", "socket"}
_HANDLE_CALLS = {
    "closesocket": "closesocket",
    "bind": "bind",
    "listen": "listen",
    "connect": "connect",
    "WSAConnect": "connect",
    "send": "send",
    "WSASend": "send",
    "recv": "recv",
    "WSARecv": "recv",
}
# These return 0 or SOCKET_ERROR; their transfer count is behind a pointer.
_WSA_IO = {"WSARecv", "WSASend"}
_OVERLAPPED_ARG = 5  # lpOverlapped of WSARecv and WSASend
_ACCEPT = {"accept", "WSAAccept"}
_SELECT = {"WSAEventSelect": 2, "WSAAsyncSelect": 3}  # index of the event mask argument
_IOCTL = {"ioctlsocket", "WSAIoctl"}
_IOCTL_COMMAND_ARG = 1
_MODELLED = (
    {"WSAStartup", "WSACleanup", "WSADuplicateSocketW", "WSADuplicateSocketA"}
    | _SOCKET
    | set(_HANDLE_CALLS)
    | _ACCEPT
    | set(_SELECT)
)
# Functions whose arguments are read: all words (others' may be strings, `0021f5a0 "vm"`).
_WORD_ARGS = _MODELLED | _IOCTL


class RelayImporter:
    """Reads a relay log and writes the trace (one pass; see the module doc)."""

    def __init__(self, path: str | Path, writer: TraceWriter) -> None:
        self.path = str(path)
        self.writer = writer
        self.summary = Summary()
        self._open: dict[tuple[int, int], list[_Open]] = {}
        self._out: deque[_Out] = deque()
        self._minted: dict[int, int] = {}  # pid -> infos minted
        self._seen: set[int] = set()  # pids that made modelled calls

    # -- reading ------------------------------------------------------------------------

    def run(self, stream: IO[bytes]) -> Summary:
        for number, raw in enumerate(stream, start=1):
            self.summary.lines = number
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                # Wine prints arguments as hex and names as ASCII: take other bytes as
                # noise from the program's own output, not as a relay line.
                text = raw.decode("utf-8", errors="replace")
            if "ws2_32." not in text and "ExitProcess" not in text:
                continue
            self._line(number, text.rstrip("\r\n"))
        self._finish()
        if self.summary.calls == 0:
            raise ImportFailed(
                self.path,
                None,
                None,
                "no ws2_32 calls in the log: it is not a +relay log of a Winsock "
                f"program, or RelayInclude left ws2_32 out; {HOW_TO_RECORD}",
            )
        return self.summary

    def _fail(self, number: int, field_: str, message: str) -> ImportFailed:
        return ImportFailed(self.path, number, field_, message)

    def _hex(self, number: int, field_: str, text: str) -> int:
        try:
            return int(text, 16)
        except ValueError:
            raise self._fail(number, field_, f"{text!r} is not a hex number") from None

    def _line(self, number: int, text: str) -> None:
        m = _LINE.match(text)
        if m is None:
            if _RELAY_HINT.match(text):
                raise self._fail(
                    number,
                    "line",
                    "a relay Call/Ret line that cannot be read: expected "
                    "'PID:TID:Call DLL.FUNC(ARGS) ret=CALLER' or "
                    "'PID:TID:Ret  DLL.FUNC() retval=VALUE ret=CALLER'",
                )
            return  # another channel's line that mentions ws2_32
        dll, func = m["dll"].lower(), m["func"]
        if dll == "kernel32" and func == "ExitProcess":
            pid = self._hex(number, "pid", m["pid"])
            # Wine's own processes (services, wineboot) exit in the log too: only a
            # process that made modelled calls is one of the trace's.
            if m["kind"] == "Call" and pid in self._seen:
                self._flush_thread_errors(pid, None)
                self._unreturned(lambda key: key[0] == pid)
                exit_ = {"pid": pid, "call": "process_exit", "result": "ok"}
                self._emit(exit_, _time(m["time"]))
            return
        if dll != "ws2_32":
            return
        pid = self._hex(number, "pid", m["pid"])
        tid = self._hex(number, "tid", m["tid"])
        key = (pid, tid)
        if m["kind"] == "Call":
            args = (
                [
                    self._hex(number, f"args[{i}]", a.strip())
                    for i, a in enumerate(m["args"].split(","))
                    if a.strip()
                ]
                if func in _WORD_ARGS
                else []
            )
            if func != "WSAGetLastError":
                # A call other than WSAGetLastError: the thread's earlier failure will
                # never have its error read.
                self._flush_thread_errors(pid, tid)
            if func in _MODELLED:
                self._seen.add(pid)
            self._open.setdefault(key, []).append(_Open(number, func, args, _time(m["time"])))
            self.summary.calls += 1
            return
        if m["retval"] is None:
            raise self._fail(number, "retval", f"a Ret line of {func} without retval=")
        retval = self._hex(number, "retval", m["retval"])
        stack = self._open.get(key)
        if not stack or stack[-1].func != func:
            expected = f"a Ret of {stack[-1].func}" if stack else "no Ret (no call is open)"
            raise self._fail(
                number,
                "func",
                f"Ret of {func} on thread {m['pid']}:{m['tid']} where the log has {expected}; "
                "the log is truncated or its lines are interleaved mid-line",
            )
        call = stack.pop()
        if not stack:
            del self._open[key]
        width = len(m["retval"])
        self._returned(number, pid, tid, call, retval, width, _time(m["time"]))

    # -- turning calls into events ----------------------------------------------------------

    def _need(self, call: _Open, n: int) -> None:
        if len(call.args) < n:
            raise self._fail(
                call.line,
                f"args[{n - 1}]",
                f"{call.func} takes {n} argument(s), got {len(call.args)}",
            )

    def _fields(self, pid: int, tid: int, call: _Open) -> dict[str, Any] | None:
        """The event's call and arguments, from the Call line alone; None for a call the
        model has no action for."""
        func, args = call.func, call.args
        base: dict[str, Any] = {"pid": pid, "tid": tid}
        if func in ("WSAStartup", "WSACleanup"):
            return base | {"call": func}
        if func in _SOCKET:
            self._need(call, 3)
            info_ptr = args[3] if len(args) > 3 else 0
            if args[0] == FROM_PROTOCOL_INFO or info_ptr != 0:
                variant = "A" if func.endswith("A") else "W"
                return base | {"call": "WSASocketFromInfo", "args": {"variant": variant}}
            return base | {"call": "WSASocket"}
        if func in ("WSADuplicateSocketW", "WSADuplicateSocketA"):
            self._need(call, 3)
            return base | {
                "call": "WSADuplicateSocket",
                "args": {
                    "handle": args[0],
                    "target_pid": args[1],
                    "buffer": args[2] != 0,
                    "variant": "A" if func.endswith("A") else "W",
                },
            }
        if func in _ACCEPT:
            self._need(call, 1)
            return base | {"call": "accept", "args": {"handle": args[0]}}
        if func in _HANDLE_CALLS:
            self._need(call, 1)
            return base | {"call": _HANDLE_CALLS[func], "args": {"handle": args[0]}}
        if func in _SELECT:
            index = _SELECT[func]
            self._need(call, index + 1)
            mask = {"handle": args[0], "mask_nonzero": args[index] != 0}
            return base | {"call": func, "args": mask}
        if func in _IOCTL and self._ioctl(call) == FIONBIO:
            # The mode is behind argp (lpvInBuffer for WSAIoctl): unobserved, so the
            # checker tries both.
            return base | {
                "call": "ioctlsocket_fionbio",
                "args": {"handle": args[0], "nonblocking": None},
            }
        return None

    def _ioctl(self, call: _Open) -> int:
        self._need(call, _IOCTL_COMMAND_ARG + 1)
        return call.args[_IOCTL_COMMAND_ARG]

    def _name_left_out(self, call: _Open) -> str:
        """The function, with its command for an ioctl: what the summary counts."""
        if call.func not in _IOCTL:
            return call.func
        code = self._ioctl(call)
        return f"{call.func} {_IOCTL_NAMES.get(code, f'0x{code:08x}')}"

    @staticmethod
    def _overlapped(call: _Open) -> bool:
        return (
            call.func in _WSA_IO
            and len(call.args) > _OVERLAPPED_ARG
            and call.args[_OVERLAPPED_ARG] != 0
        )

    def _returned(
        self,
        number: int,
        pid: int,
        tid: int,
        call: _Open,
        retval: int,
        width: int,
        time: float | None,
    ) -> None:
        func = call.func
        if func == "WSAGetLastError":
            self.summary.errors_read += 1
            self._error_read(pid, tid, retval, number)
            return
        fields = self._fields(pid, tid, call)
        if fields is None:
            self._left_out(NOT_MODELLED, self._name_left_out(call))
            return
        if func == "WSAStartup":
            # WSAStartup returns its error instead of setting it.
            if retval == 0:
                self._emit(fields | {"result": "ok"}, time, func)
            else:
                error = _name(retval, self.path, number)
                self._emit(fields | {"result": "error", "error": error}, time, func)
            return
        failed = retval == 0xFFFFFFFF or retval == (1 << (4 * width)) - 1
        value: object = None
        if func in _WSA_IO:
            # 0 or SOCKET_ERROR, never a count; the high half of the register may be
            # anything, the relay printing all of it.
            low = retval & 0xFFFFFFFF
            if low not in (0, SOCKET_ERROR):
                raise self._fail(
                    number,
                    "retval",
                    f"{func} returns 0 or SOCKET_ERROR (ffffffff), not {retval:x}: is this "
                    "Ret line of another function?",
                )
            failed = low == SOCKET_ERROR
            value = "data" if func == "WSARecv" else None
        elif func == "recv":
            if not failed and retval == 0:
                self._left_out(END_OF_STREAM, func)
                return
            value = "data"
        elif fields["call"] in ("WSASocket", "WSASocketFromInfo", "accept"):
            value = retval
        if call.announced:
            fields["phase"] = "return"
        if failed:
            # The error comes with the thread's next WSAGetLastError, if any.
            self._emit(
                fields | {"result": "error"},
                time,
                func,
                waits_on=(pid, tid),
                overlapped=self._overlapped(call),
            )
            return
        fields["result"] = "ok"
        if value is not None:
            fields["value"] = value
        if fields["call"] == "WSADuplicateSocket" and fields["args"]["buffer"]:
            n = self._minted.get(pid, 0) + 1
            self._minted[pid] = n
            fields["info_digest"] = f"relay:{pid}:{n}"
        self._emit(fields, time, func)

    def _left_out(self, reason: str, name: str) -> None:
        counts = self.summary.left_out.setdefault(reason, {})
        counts[name] = counts.get(name, 0) + 1

    def _unreturned(self, which: Callable[[tuple[int, int]], bool]) -> None:
        """The open calls of the threads `which` selects will never return: each
        modelled one becomes a `call` event (nothing happened, as far as the log shows),
        the others are counted as not modelled."""
        # Out of `_open` first, so writing one does not announce another as blocked; in
        # the order of their Call lines.
        keys = [k for k in self._open if which(k)]
        ending = [(c, k) for k in keys for c in self._open.pop(k)]
        for call, key in sorted(ending, key=lambda ck: ck[0].line):
            fields = self._fields(key[0], key[1], call)
            if fields is None:
                self._left_out(NOT_MODELLED, self._name_left_out(call))
                continue
            self.summary.unreturned.setdefault(call.func, []).append(call.line)
            if call.announced:
                self.summary.imported += 1  # its `call` event is already written
                continue
            fields["phase"] = "call"
            self._emit(fields, call.time, call.func)

    # -- output, in log order ---------------------------------------------------------------

    def _emit(
        self,
        fields: dict[str, Any],
        time: float | None,
        func: str = "",
        waits_on: tuple[int, int] | None = None,
        overlapped: bool = False,
    ) -> None:
        self._announce_blocked(fields)
        if time is not None:
            fields["time"] = time
        self._out.append(_Out(fields, func, waits_on, overlapped))
        self._drain()
        if len(self._out) > MAX_HELD:
            self._give_up(self._out[0])
            self._drain()

    def _announce_blocked(self, fields: dict[str, Any]) -> None:
        """Before another event is written, each recv still open on another thread
        becomes a `call` event: it was blocked while this happened. An overlapped WSARecv
        returns at once, so lines in between say nothing about blocking."""
        here = (fields.get("pid"), fields.get("tid"))
        for key, stack in self._open.items():
            for c in stack:
                if (
                    c.func in ("recv", "WSARecv")
                    and not c.announced
                    and key != here
                    and c.args
                    and not self._overlapped(c)
                ):
                    c.announced = True
                    self._out.append(
                        _Out(
                            {
                                "pid": key[0],
                                "tid": key[1],
                                "call": "recv",
                                "phase": "call",
                                "args": {"handle": c.args[0]},
                            }
                        )
                    )

    def _error_read(self, pid: int, tid: int, code: int, number: int) -> None:
        for out in self._out:
            if out.waits == (pid, tid):
                out.waits = None
                if code == WsaError.WSA_IO_PENDING and out.func in _WSA_IO:
                    # Started, not failed; the completion is not in the log.
                    self._out.remove(out)
                    self._left_out(PENDING, out.func)
                else:
                    out.fields["error"] = _name(code, self.path, number)
                break
        self._drain()

    def _flush_thread_errors(self, pid: int, tid: int | None) -> None:
        """The thread (every thread of `pid` when tid is None) moved on without reading
        its last error: those failed calls are kept as "failed"."""
        for out in list(self._out):
            waits = out.waits
            if waits is not None and waits[0] == pid and (tid is None or waits[1] == tid):
                self._give_up(out)
        self._drain()

    def _give_up(self, out: _Out) -> None:
        if out.waits is None:
            return
        out.waits = None
        if out.overlapped:
            # The unread error may have been WSA_IO_PENDING: not a failure at all.
            self._out.remove(out)
            self._left_out(MAYBE_PENDING, out.func)
            return
        out.fields["result"] = "failed"
        self.summary.unread_errors += 1

    def _drain(self) -> None:
        while self._out and self._out[0].waits is None:
            out = self._out.popleft()
            self.writer.event(**out.fields)
            self.summary.events += 1
            if out.func:
                self.summary.imported += 1

    def _finish(self) -> None:
        for out in list(self._out):
            self._give_up(out)
        self._drain()
        self._unreturned(lambda key: True)
        self._drain()


def _time(text: str | None) -> float | None:
    return float(text) if text else None


def _name(code: int, path: str, line: int) -> str:
    """The WSA error name of a code."""
    try:
        return WsaError(code).name
    except ValueError:
        raise ImportFailed(
            path, line, "retval", f"error code {code} is no WSA error the model knows"
        ) from None


def header(log: str | Path) -> TraceHeader:
    return TraceHeader(
        implementation="wine (relay log)",
        platform="Wine, WINEDEBUG=+pid,+relay",
        level="api",
        recorder=f"wsshare import wine-relay {Path(log).name}",
        profile_hint="wine-8.0",
        # The program's own IPC (pipes, shared memory, the command line) is not in the
        # log; neither is the remote peer.
        unobserved=["ipc", "peer"],
    )


def import_log(log: str | Path, out: str | Path) -> Summary:
    """Read the relay log `log` and write its trace to `out`."""
    try:
        stream = open(log, "rb")  # noqa: SIM115 - closed below
    except OSError as e:
        raise ImportFailed(str(log), None, None, f"cannot open: {e.strerror}") from None
    try:
        with stream, TraceWriter(out, header(log)) as writer:
            return RelayImporter(log, writer).run(stream)
    except OSError as e:
        raise ImportFailed(str(out), None, None, f"cannot write: {e.strerror}") from None


__all__ = ["HOW_TO_RECORD", "ImportFailed", "RelayImporter", "Summary", "import_log"]

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
  is left out (failed calls change nothing in the model) and counted in the summary;
- info identity: the 628 bytes are behind a pointer. Each successful WSADuplicateSocket
  mints a distinct info, named `relay:PID:N` (the N-th info that process minted); a
  WSASocket with an info (FROM_PROTOCOL_INFO, or a non-NULL lpProtocolInfo) carries no
  digest, so the checker tries every info minted so far (traces/README.md) and finds the
  one that explains the run, a second use or a use in the wrong process included;
- socket identities: not visible (no addresses in the log); the checker follows handles;
- a blocking recv: if another modelled call is logged between its Call and Ret lines, it
  becomes a `call` and a `return` event; otherwise one event;
- process exit: `kernel32.ExitProcess` when RelayInclude lists it;
- not imported: socket options and FIONBIO (their values are behind pointers), and every
  ws2_32 function the model has no action for (getsockname, select, ...).

The log is read line by line; memory depends on the calls still open, not on the log's
length. Malformed input raises ImportFailed naming the file, the line and the field.
"""

from __future__ import annotations

import re
from collections import deque
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
# How long output may wait for a failed call's WSAGetLastError before the call is left
# out: a bound on memory for a thread that fails a call and then stays silent.
MAX_HELD = 10_000


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
    """An event to write. While `fields` holds "_waits" (the (pid, tid) whose next
    WSAGetLastError says the error), it and everything after it wait."""

    fields: dict[str, Any]


@dataclass
class Summary:
    lines: int = 0
    calls: int = 0  # ws2_32 calls seen
    events: int = 0  # events written
    unread_errors: int = 0  # failed calls left out: the program never read the error
    not_modelled: dict[str, int] = field(default_factory=dict)

    def line(self) -> str:
        text = f"{self.events} events from {self.calls} ws2_32 calls in {self.lines} lines"
        if self.unread_errors:
            text += (
                f"; {self.unread_errors} failed call(s) left out (the program never called "
                "WSAGetLastError for them)"
            )
        if self.not_modelled:
            names = ", ".join(f"{k} x{v}" for k, v in sorted(self.not_modelled.items()))
            text += f"; not modelled, left out: {names}"
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
_ACCEPT = {"accept", "WSAAccept"}
_SELECT = {"WSAEventSelect": 2, "WSAAsyncSelect": 3}  # index of the event mask argument
_IGNORED_OPTIONS = {"setsockopt", "getsockopt", "ioctlsocket", "WSAIoctl"}
_MODELLED = (
    {"WSAStartup", "WSACleanup", "WSADuplicateSocketW", "WSADuplicateSocketA"}
    | _SOCKET
    | set(_HANDLE_CALLS)
    | _ACCEPT
    | set(_SELECT)
)


class RelayImporter:
    """Reads a relay log and writes the trace (one pass; see the module doc)."""

    def __init__(self, path: str | Path, writer: TraceWriter) -> None:
        self.path = str(path)
        self.writer = writer
        self.summary = Summary()
        self._open: dict[tuple[int, int], list[_Open]] = {}
        self._out: deque[_Out] = deque()
        self._minted: dict[int, int] = {}  # pid -> infos minted
        self._exited: set[int] = set()
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
                self._emit(number, {"pid": pid, "call": "process_exit", "result": "ok"}, m["time"])
                self._exited.add(pid)
            return
        if dll != "ws2_32":
            return
        pid = self._hex(number, "pid", m["pid"])
        tid = self._hex(number, "tid", m["tid"])
        key = (pid, tid)
        if m["kind"] == "Call":
            # Only the modelled calls' arguments are read: they are all words, while
            # other functions' may be strings (`0021f5a0 "vm"`) that need no parsing.
            args = (
                [
                    self._hex(number, f"args[{i}]", a.strip())
                    for i, a in enumerate(m["args"].split(","))
                    if a.strip()
                ]
                if func in _MODELLED
                else []
            )
            if func != "WSAGetLastError":
                # A call other than WSAGetLastError: the thread's earlier failure will
                # never have its error read.
                self._flush_thread_errors(pid, tid)
            self._open.setdefault(key, []).append(
                _Open(number, func, args, float(m["time"]) if m["time"] else None)
            )
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
        width = len(m["retval"])
        self._returned(number, pid, tid, call, retval, width, m["time"])

    # -- turning calls into events ----------------------------------------------------------

    def _returned(
        self,
        number: int,
        pid: int,
        tid: int,
        call: _Open,
        retval: int,
        width: int,
        time: str | None,
    ) -> None:
        func, args = call.func, call.args
        failed_int = retval == 0xFFFFFFFF or retval == (1 << (4 * width)) - 1
        base: dict[str, Any] = {"pid": pid, "tid": tid}

        def need(n: int) -> None:
            if len(args) < n:
                raise self._fail(
                    call.line, f"args[{n - 1}]", f"{func} takes {n} argument(s), got {len(args)}"
                )

        if func == "WSAGetLastError":
            self._error_read(pid, tid, retval, number)
            return
        if func == "WSAStartup":
            fields = base | {"call": "WSAStartup"}
            if retval == 0:
                self._emit(number, fields | {"result": "ok"}, time)
            else:
                error = _name(retval, self.path, number)
                self._emit(number, fields | {"result": "error", "error": error}, time)
            return
        if func == "WSACleanup":
            self._result(number, base | {"call": "WSACleanup"}, failed_int, None, time)
            return
        if func in _SOCKET:
            need(3)
            info_ptr = args[3] if len(args) > 3 else 0
            from_info = args[0] == FROM_PROTOCOL_INFO or info_ptr != 0
            fields = base | (
                {
                    "call": "WSASocketFromInfo",
                    "args": {"variant": "A" if func.endswith("A") else "W"},
                }
                if from_info
                else {"call": "WSASocket"}
            )
            self._result(number, fields, failed_int, retval, time)
            return
        if func in ("WSADuplicateSocketW", "WSADuplicateSocketA"):
            need(3)
            fields = base | {
                "call": "WSADuplicateSocket",
                "args": {
                    "handle": args[0],
                    "target_pid": args[1],
                    "buffer": args[2] != 0,
                    "variant": "A" if func.endswith("A") else "W",
                },
            }
            if not failed_int and args[2] != 0:
                n = self._minted.get(pid, 0) + 1
                self._minted[pid] = n
                fields["info_digest"] = f"relay:{pid}:{n}"
            self._result(number, fields, failed_int, None, time)
            return
        if func in _ACCEPT:
            need(1)
            fields = base | {"call": "accept", "args": {"handle": args[0]}}
            self._result(number, fields, failed_int, retval, time)
            return
        if func in _HANDLE_CALLS:
            need(1)
            name = _HANDLE_CALLS[func]
            fields = base | {"call": name, "args": {"handle": args[0]}}
            if name == "recv":
                if not failed_int and retval == 0:
                    # The peer closed: a recv of 0 bytes has no model action.
                    self._not_modelled("recv returning 0")
                    return
                if call.announced:
                    fields["phase"] = "return"
                self._result(number, fields, failed_int, "data", time)
                return
            self._result(number, fields, failed_int, None, time)
            return
        if func in _SELECT:
            index = _SELECT[func]
            need(index + 1)
            fields = base | {
                "call": func,
                "args": {"handle": args[0], "mask_nonzero": args[index] != 0},
            }
            self._result(number, fields, failed_int, None, time)
            return
        if func in _IGNORED_OPTIONS:
            self._not_modelled(func)
            return
        # Every other ws2_32 function (getsockname, select, htons, ...): no model action.

    def _not_modelled(self, what: str) -> None:
        self.summary.not_modelled[what] = self.summary.not_modelled.get(what, 0) + 1

    def _result(
        self,
        number: int,
        fields: dict[str, Any],
        failed: bool,
        value: object,
        time: str | None,
    ) -> None:
        if failed:
            # The error comes with the thread's next WSAGetLastError, if any.
            fields = fields | {"result": "error"}
            self._emit(number, fields, time, waits_on=(fields["pid"], fields["tid"]))
            return
        fields = fields | {"result": "ok"}
        if value is not None:
            fields["value"] = value
        self._emit(number, fields, time)

    # -- output, in log order ---------------------------------------------------------------

    def _emit(
        self,
        number: int,
        fields: dict[str, Any],
        time: str | None,
        waits_on: tuple[int, int] | None = None,
    ) -> None:
        self._announce_blocked(fields)
        self._seen.add(fields["pid"])
        if time is not None:
            fields["time"] = float(time)
        if waits_on is not None:
            fields["_waits"] = waits_on
        self._out.append(_Out(fields))
        self._drain()
        if len(self._out) > MAX_HELD:
            self._give_up(self._out[0])
            self._drain()

    def _announce_blocked(self, fields: dict[str, Any]) -> None:
        """Before another event is written, each recv still open on another thread
        becomes a `call` event: it was blocked while this happened."""
        here = (fields.get("pid"), fields.get("tid"))
        for key, stack in self._open.items():
            for c in stack:
                if c.func in ("recv", "WSARecv") and not c.announced and key != here and c.args:
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
            if out.fields.get("_waits") == (pid, tid):
                del out.fields["_waits"]
                out.fields["error"] = _name(code, self.path, number)
                break
        self._drain()

    def _flush_thread_errors(self, pid: int, tid: int | None) -> None:
        """The thread (every thread of `pid` when tid is None) moved on without reading
        its last error: those failed calls are left out."""
        for out in list(self._out):
            waits = out.fields.get("_waits")
            if waits is not None and waits[0] == pid and (tid is None or waits[1] == tid):
                self._give_up(out)
        self._drain()

    def _give_up(self, out: _Out) -> None:
        if "_waits" in out.fields:
            self._out.remove(out)
            self.summary.unread_errors += 1

    def _drain(self) -> None:
        while self._out and "_waits" not in self._out[0].fields:
            fields = self._out.popleft().fields
            self.writer.event(**fields)
            self.summary.events += 1

    def _finish(self) -> None:
        for out in list(self._out):
            self._give_up(out)
        self._drain()


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

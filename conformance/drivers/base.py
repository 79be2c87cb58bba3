"""The Driver protocol: how the stateful machine talks to an implementation under test.

A driver runs calls on one implementation (the model, a mutant of it, Wine, Linux) and
reports what it observed, in the trace's vocabulary: real process ids, real handle values,
socket identities and info digests, never model slots. The machine chooses every call
from what earlier observations told it (which handles a process holds, which infos exist)
and checks every observation with the conformance checker's online engine, so nothing in
the machine may rely on the implementation being the model.

The protocol has three steps, mirroring how a live harness runs:

- `start()` starts the processes the run begins with and says which pids the run may use;
- `run(call, choose)` makes one call (or one IPC or peer step) and returns the event it
  observed, or None when the call cannot be made here (see `run`);
- `stop()` ends every process and releases what the driver holds.

At `spi` level (the session header's `level`), a call that reaches a provider is several
events: `run` returns its begin event (phase "call"), and each later
`run(Call(CONTINUE, pid), choose)` returns the next event of the call `pid` is inside
of: one provider step (`spi_step`, with its function and catalog entry) or, once they
are done, the call's return (phase "return", with the result). Other processes' calls
may run in between. A driver of api level never sees `CONTINUE`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from ..trace import TraceEvent, TraceHeader

# Picks one of `n` outcomes (0 <= result < n). The machine passes one that hypothesis
# draws, so the choice is part of the generated program and shrinks with it.
Chooser = Callable[[int], int]

# The call name that asks a driver at spi level for the next event of the call a process
# is inside of (see the module doc); a driver returns None when the process is in no call.
CONTINUE = "continue"


def first(n: int) -> int:
    """The chooser that always takes the first outcome."""
    return 0


@dataclass(frozen=True)
class Session:
    """What a driver's `start()` tells the machine about the run.

    - pids: every process id the run may use, in a fixed order (the trace header's
      `processes`), including those not started yet;
    - not_started: pids whose process starts later, by a `process_start` call;
    - uninitialised: running pids that have not called WSAStartup yet (the others have
      called it once before the run began);
    - header: the trace header describing the implementation, written at the top of any
      trace of this run.

    The trace format has no field for `not_started` or `uninitialised`: a checker reading
    a file infers them (a pid with a `process_start` event was not started; a pid that
    calls WSAStartup had not called it). The machine only issues calls for which that
    inference agrees with the session, so that a written trace replays to the verdict the
    online check gave.
    """

    pids: tuple[int, ...]
    not_started: frozenset[int]
    uninitialised: frozenset[int]
    header: TraceHeader


@dataclass(frozen=True)
class Call:
    """One call for a driver to make, with observed values only.

    `call` is a trace call name (`WSASocket`, `closesocket`, `recv_return`, `peer_send`,
    ...) or `CONTINUE` (spi level); `pid` the calling process (None for the remote
    peer); `args` the arguments as a
    trace event has them (handle values, target pids, IPC messages); `info_digest` names
    the info bytes passed to WSASocket or sent over IPC (bytes that match no info the
    driver minted stand for corrupt bytes); `socket` is the identity a peer step acts
    on. `WSASocket` takes `provider`, a catalog entry id of the header's catalog, only
    when that catalog has more than one entry.
    """

    call: str
    pid: int | None
    args: Mapping[str, Any] = field(default_factory=dict)
    info_digest: str | None = None
    socket: str | None = None

    def __str__(self) -> str:
        parts = [f"pid {self.pid}"] if self.pid is not None else ["peer"]
        parts += [f"{k}={v}" for k, v in self.args.items()]
        if self.info_digest is not None:
            parts.append(f"info={self.info_digest}")
        if self.socket is not None:
            parts.append(f"socket={self.socket}")
        return f"{self.call}({', '.join(parts)})"


@runtime_checkable
class Driver(Protocol):
    """An implementation under test, seen through observations only."""

    def start(self) -> Session:
        """Start the processes the run begins with; say which pids the run may use."""
        ...

    def run(self, call: Call, choose: Chooser) -> TraceEvent | None:
        """Make `call` and return the event observed, with its result.

        None means the call was not made: a finite model refuses a step that would leave
        its bounds, a blocked call has not returned yet (`recv_return`), a peer saw
        nothing (`peer_sees_close` before the connection ended), or an IPC channel was
        empty. A live driver returns None only for those last kinds. When the
        implementation may do several things, `choose(n)` says which of the `n`.
        """
        ...

    def stop(self) -> None:
        """End the run: stop every process and release resources. Idempotent."""
        ...

"""The Wine driver: the stateful machine's calls made by real Windows processes under Wine.

`WineDriver` implements the Driver protocol (`wsshare.conformance.drivers.base`) on the
harness: each modelled process is one agent.exe under Wine, each machine call one agent
command, and each answer one trace event with the real pid, the real handle value, the
socket identity the agent read (for connected and listening sockets) and the digest of
the info bytes. The driver relays the info bytes itself (the IPC is unobserved, as in the
recordings) and is the remote peer for connect and accept.

Starting a Wine process costs a few hundred milliseconds, far more than a whole example
of the machine, so agents are pooled (`AgentPool`): an agent whose process is still
running at the end of an example is reset and handed to the next one. The reset must
leave nothing a later example could observe:

- every WSAStartup is undone (WSACleanup until WSANOTINITIALISED); Wine's last WSACleanup
  closes every socket in the process's socket list, so every descriptor the application
  was given is gone;
- handles Wine pre-placed in the agent for infos never materialised are not in that list
  (WSADuplicateSocket duplicated them in, no WSASocket listed them), so the driver closes
  them with CloseHandle after the WSACleanups: it reads their values from the info bytes
  it relayed (Wine keeps the value in dwServiceFlags3, recording.md), remembers them per
  target, and closes those that still name a socket (ioctlsocket succeeds), leaving a
  value Wine has since given one of its own handles;
- a WSASocket with an info that hands back a value without a handle of the caller behind
  it (an info used in another process than its target, or used again) lists a value that
  closesocket or the last WSACleanup later closes with CloseHandle, whatever it names
  then, possibly one of Wine's own handles (the per-thread event that synchronous socket
  calls wait on takes the lowest free value): such an agent is not reused;
- an example that used a process's own pid for something the pool cannot undo (an agent
  that exited, or any reset step that failed) retires the agent; a fresh one is started
  for the next example, in the background, after the example ended, so that the pids of
  one example never include a process started during it.

Wine reuses a freed pid only after 256 other ids were freed (server/process.c keeps a
FIFO of free ids), so a pid an example saw exit names no other agent during that example.

What is not driven: `process_start` (every agent runs from the start: a process's pid is
known only once it runs), the remote peer's data and FIN (`io`), blocking `recv` (the
agent answers one command at a time), WSAAsyncSelect on a live socket (no window), and
the seed's IPC messages. `WineDriver` refuses families that need them.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wsshare.model import NONEXISTENT_PID
from wsshare.model.config import Family

from ...trace import TraceEvent, TraceHeader, TraceWriter
from ..base import Call, Chooser, Session
from .harness import INFO_SIZE, Agent, AgentError, Peer, WineEnv, identity, info_digest

# The families whose calls the driver can make (see the module doc for the others).
SUPPORTED_FAMILIES: frozenset[Family] = frozenset(
    {"create", "share", "close", "lifecycle", "startup", "errors", "options", "connection"}
)
# Bytes that are no info (C28): what the machine's unknown digests stand for.
BOGUS_BYTES = "00" * INFO_SIZE
# Wine's WSAPROTOCOL_INFOW carries the handle value pre-placed in the target in
# dwServiceFlags3, the third DWORD (recording.md).
_PREPLACED_OFFSET = 8
# A reset undoes at most this many WSAStartups; the machine makes at most a few.
_MAX_CLEANUPS = 16
# The model counts at most two WSAStartups per process (state.Process.startups): a third
# is declined, as the model driver declines a step beyond its bounds.
MAX_STARTUPS = 2


def preplaced_handle(hex_bytes: str) -> int:
    """The handle value Wine pre-placed in the target, read from an info's bytes."""
    raw = bytes.fromhex(hex_bytes)[_PREPLACED_OFFSET : _PREPLACED_OFFSET + 4]
    return int.from_bytes(raw, "little")


@dataclass
class PoolStats:
    """What the pool did, for the per-example cost figure."""

    spawned: int = 0  # agent processes started
    reused: int = 0  # agents handed to a later example after a reset
    retired: int = 0  # agents not reused (exited, or a reset step failed)
    examples: int = 0  # driver runs (start .. stop)
    seconds_in_start: float = 0.0  # waiting for agents at start()
    seconds_in_stop: float = 0.0  # resetting agents at stop()
    seconds_total: float = 0.0  # from start() to the end of stop(), summed
    calls: int = 0  # calls made

    def line(self) -> str:
        per = self.seconds_total / self.examples if self.examples else 0.0
        return (
            f"{self.examples} examples, {self.calls} calls, {per * 1000:.1f} ms per example "
            f"(start {self.seconds_in_start:.2f} s, reset {self.seconds_in_stop:.2f} s in "
            f"all); agents: {self.spawned} started, {self.reused} reused, "
            f"{self.retired} retired"
        )


class AgentPool:
    """Agents ready for the next example: reset survivors first, then fresh ones.

    Fresh agents are started ahead (`prepare`) and their first answer read only when an
    example takes them, so Wine's start-up of several processes overlaps."""

    def __init__(self, env: WineEnv, reuse: bool = True) -> None:
        self.env = env
        self.reuse = reuse
        self.idle: list[Agent] = []  # reset, pid known, WSAStartup count 0
        self.starting: list[Agent] = []  # spawned, first answer not read yet
        self.stats = PoolStats()
        self._serial = 0

    def prepare(self, n: int) -> None:
        """Start agents until `n` are idle or starting."""
        while len(self.idle) + len(self.starting) < n:
            self._serial += 1
            self.starting.append(Agent(self.env, f"W{self._serial}"))
            self.stats.spawned += 1

    def take(self, n: int) -> list[Agent]:
        self.prepare(n)
        taken: list[Agent] = []
        while self.idle and len(taken) < n:
            taken.append(self.idle.pop(0))
        while len(taken) < n:
            a = self.starting.pop(0)
            try:
                a.pid = int(a.ask("getpid")["pid"])
            except AgentError:
                a.close()
                for b in taken:
                    self.give_back(b, ())
                raise
            taken.append(a)
        return taken

    def give_back(self, agent: Agent, preplaced: Iterable[int], reusable: bool = True) -> None:
        """Reset `agent` for another example, or retire it when that is not sound."""
        if not (self.reuse and reusable) or agent.exited or agent.proc.poll() is not None:
            self._retire(agent)
            return
        try:
            for _ in range(_MAX_CLEANUPS):
                if not agent.ask("WSACleanup")["ok"]:
                    break
            else:
                raise AgentError(f"{agent.name}: WSACleanup kept succeeding")
            # What is still a socket now is a pre-placed handle no WSASocket listed
            # (FIONBIO succeeds, or fails with WSAEINVAL under an event selection). A
            # value that was closed meanwhile may name one of Wine's own handles (its
            # per-thread sync event takes the lowest free value), which must stay.
            for value in sorted(set(preplaced)):
                seen = agent.ask(f"ioctlsocket_fionbio {value} 0")
                if seen["ok"] or seen.get("error") == "WSAEINVAL":
                    agent.ask(f"closehandle {value}")
        except AgentError:
            self._retire(agent)
            return
        self.stats.reused += 1
        self.idle.append(agent)

    def _retire(self, agent: Agent) -> None:
        self.stats.retired += 1
        with contextlib.suppress(AgentError, OSError):
            if not agent.exited and agent.proc.poll() is None:
                agent.ask("exit")
        agent.close()

    def close(self) -> None:
        for a in self.idle + self.starting:
            self._retire(a)
        self.idle, self.starting = [], []


@dataclass
class _Info:
    hex: str
    target: int  # the pid the info was minted for


@dataclass
class _Run:
    """The state of one example: what the driver relays and must undo."""

    agents: dict[int, Agent]
    peer: Peer
    started: float
    events: list[TraceEvent] = field(default_factory=list)
    infos: dict[str, _Info] = field(default_factory=dict)  # digest -> bytes
    minted: dict[str, int] = field(default_factory=dict)  # bytes' digest -> count
    preplaced: dict[int, set[int]] = field(default_factory=dict)  # target pid -> values
    startups: dict[int, int] = field(default_factory=dict)  # pid -> WSAStartup count
    used: set[tuple[int, str]] = field(default_factory=set)  # (pid, info bytes) used
    stale: set[int] = field(default_factory=set)  # pids given a value with no handle


class WineDriver:
    """The Driver protocol on Wine: `processes` agents, all running from the start.

    `startup_in_run`: the processes start with no WSAStartup and the machine calls it
    (the `startup` family); otherwise the driver calls it once in each before the run,
    unrecorded, as the model's `startups_at_start=1`. `pool` is shared between the
    examples of a test so that agents are reused (see the module doc)."""

    def __init__(
        self,
        pool: AgentPool,
        processes: int = 2,
        *,
        families: Iterable[Family] = SUPPORTED_FAMILIES,
        startup_in_run: bool = False,
    ) -> None:
        unsupported = sorted(set(families) - SUPPORTED_FAMILIES)
        if unsupported:
            raise ValueError(
                f"the Wine driver cannot drive the families {', '.join(unsupported)}; "
                f"use only {', '.join(sorted(SUPPORTED_FAMILIES))}"
            )
        if not 1 <= processes <= 8:
            raise ValueError(f"processes must be 1..8, got {processes}")
        self.pool = pool
        self.processes = processes
        self.startup_in_run = startup_in_run
        self.run_state: _Run | None = None
        self.header: TraceHeader | None = None

    # -- the protocol -------------------------------------------------------------------

    def start(self) -> Session:
        if self.run_state is not None:
            raise RuntimeError("WineDriver.start() twice without stop()")
        began = time.perf_counter()
        agents = self.pool.take(self.processes)
        try:
            if not self.startup_in_run:
                for a in agents:
                    if not a.ask("WSAStartup")["ok"]:
                        raise AgentError(f"{a.name}: WSAStartup before the run failed")
            peer = Peer()
        except Exception:
            for a in agents:
                self.pool.give_back(a, ())
            raise
        self.run_state = _Run({a.pid: a for a in agents}, peer, time.monotonic())
        self.run_state.startups = {a.pid: 0 if self.startup_in_run else 1 for a in agents}
        pids = tuple(a.pid for a in agents)
        env = self.pool.env
        self.header = TraceHeader(
            implementation="wine-8.0",
            platform=env.platform(),
            level="api",
            recorder=f"wsshare.conformance.drivers.wine.driver (agent {env.agent_hash})",
            profile_hint="wine-8.0",
            processes=list(pids),
            unobserved=["ipc"],
        )
        self.pool.stats.examples += 1
        self.pool.stats.seconds_in_start += time.perf_counter() - began
        self._began = began
        return Session(
            pids=pids,
            not_started=frozenset(),
            uninitialised=frozenset(pids) if self.startup_in_run else frozenset(),
            header=self.header,
        )

    def run(self, call: Call, choose: Chooser) -> TraceEvent | None:
        r = self.run_state
        if r is None:
            raise RuntimeError("WineDriver.run before start()")
        agent = r.agents.get(call.pid) if call.pid is not None else None
        if agent is None or agent.exited:
            return None  # the peer, IPC, or a process this run does not have
        handler = getattr(self, "_" + call.call, None)
        if handler is None:
            return None  # a call of a family the driver does not make
        self.pool.stats.calls += 1
        fields: dict[str, Any] | None = handler(r, agent, call)
        if fields is None:
            return None
        fields.setdefault("args", dict(call.args))
        fields.setdefault("pid", agent.pid)
        event = TraceEvent(
            seq=len(r.events),
            time=round(time.monotonic() - r.started, 6),
            call=call.call,
            **fields,
        )
        r.events.append(event)
        return event

    def stop(self) -> None:
        r = self.run_state
        if r is None:
            return
        self.run_state = None
        began = time.perf_counter()
        r.peer.close()
        for pid, agent in r.agents.items():
            self.pool.give_back(agent, r.preplaced.get(pid, ()), pid not in r.stale)
        # Replacements for the agents that exited start now, between examples.
        self.pool.prepare(self.processes)
        now = time.perf_counter()
        self.pool.stats.seconds_in_stop += now - began
        self.pool.stats.seconds_total += now - self._began

    # -- the run as a trace ----------------------------------------------------------------

    @property
    def events(self) -> list[TraceEvent]:
        return list(self.run_state.events) if self.run_state else []

    def write_trace(self, path: str | Path, events: Iterable[TraceEvent] | None = None) -> Path:
        """Write the current run (or `events` of an earlier one) as a trace file."""
        if self.header is None:
            raise RuntimeError("no run to write: start() first")
        chosen = list(self.events if events is None else events)
        with TraceWriter(path, self.header) as writer:
            for e in chosen:
                writer.event(**e.model_dump(exclude={"seq"}, exclude_none=True))
        return Path(path)

    # -- calls --------------------------------------------------------------------------------

    @staticmethod
    def _answer(a: dict[str, Any], **extra: Any) -> dict[str, Any]:
        """An agent's answer as event fields: result or error, and the socket identity."""
        fields: dict[str, Any] = dict(extra)
        if a["ok"]:
            fields["result"] = "ok"
        else:
            fields.update(result="error", error=a["error"])
        ident = identity(a)
        if ident is not None:
            fields["socket"] = ident
        return fields

    def _handle_answer(self, a: dict[str, Any], **extra: Any) -> dict[str, Any]:
        fields = self._answer(a, **extra)
        if a["ok"]:
            fields["value"] = int(a["handle"])
        return fields

    def _simple(self, agent: Agent, command: str) -> dict[str, Any]:
        return self._answer(agent.ask(command))

    def _WSAStartup(self, r: _Run, agent: Agent, call: Call) -> dict[str, Any] | None:
        if r.startups[agent.pid] >= MAX_STARTUPS:
            return None
        fields = self._simple(agent, "WSAStartup")
        if fields["result"] == "ok":
            r.startups[agent.pid] += 1
        return fields

    def _WSACleanup(self, r: _Run, agent: Agent, call: Call) -> dict[str, Any]:
        fields = self._simple(agent, "WSACleanup")
        if fields["result"] == "ok":
            r.startups[agent.pid] = max(0, r.startups[agent.pid] - 1)
        return fields

    def _WSASocket(self, r: _Run, agent: Agent, call: Call) -> dict[str, Any] | None:
        if call.args.get("provider", 0) != 0:
            return None  # Wine's catalog as the model sees it: one IFS base entry
        return self._handle_answer(agent.ask("WSASocket"))

    def _WSASocketFromInfo(self, r: _Run, agent: Agent, call: Call) -> dict[str, Any]:
        info = r.infos.get(call.info_digest or "")
        hex_bytes = info.hex if info is not None else BOGUS_BYTES
        a = agent.ask(f"WSASocketFromInfo {hex_bytes}")
        extra = {"info_digest": call.info_digest} if call.info_digest else {}
        if a["ok"] and (
            info is None or info.target != agent.pid or (agent.pid, hex_bytes) in r.used
        ):
            r.stale.add(agent.pid)  # see the module doc: the agent is not reused
        if a["ok"]:
            r.used.add((agent.pid, hex_bytes))
        return self._handle_answer(a, **extra)

    def _WSADuplicateSocket(self, r: _Run, agent: Agent, call: Call) -> dict[str, Any]:
        h, target = int(call.args["handle"]), int(call.args["target_pid"])
        buffer = bool(call.args.get("buffer", True))
        if target == NONEXISTENT_PID:
            target = 0xFFFFFFFF  # the same bits; the agent reads a DWORD
        a = agent.ask(f"WSADuplicateSocket {h} {target}" + ("" if buffer else " null"))
        fields = self._answer(a)
        if a["ok"] and buffer:
            hex_bytes = str(a["info"])
            if len(hex_bytes) != 2 * INFO_SIZE:
                raise AgentError(f"an info of {len(hex_bytes) // 2} bytes")
            # Equal bytes from two calls are two infos (see Recording.mint).
            digest = info_digest(hex_bytes)
            seen = r.minted.get(digest, 0)
            r.minted[digest] = seen + 1
            if seen:
                digest = f"{digest}~{seen + 1}"
            r.infos[digest] = _Info(hex_bytes, target)
            if target in r.agents:
                r.preplaced.setdefault(target, set()).add(preplaced_handle(hex_bytes))
            fields["info_digest"] = digest
        return fields

    def _closesocket(self, r: _Run, agent: Agent, call: Call) -> dict[str, Any]:
        return self._simple(agent, f"closesocket {int(call.args['handle'])}")

    def _bind(self, r: _Run, agent: Agent, call: Call) -> dict[str, Any]:
        return self._simple(agent, f"bind {int(call.args['handle'])}")

    def _listen(self, r: _Run, agent: Agent, call: Call) -> dict[str, Any]:
        return self._simple(agent, f"listen {int(call.args['handle'])}")

    def _connect(self, r: _Run, agent: Agent, call: Call) -> dict[str, Any]:
        a = agent.ask(f"connect {int(call.args['handle'])} {r.peer.port}")
        if a["ok"]:
            r.peer.accept()  # the peer end, so the connection is fully established
        return self._answer(a)

    def _accept(self, r: _Run, agent: Agent, call: Call) -> dict[str, Any]:
        h = int(call.args["handle"])
        # The model's peer always connects (accept never blocks on a listener): connect
        # to the listener before accepting, or the agent would block.
        seen = agent.ask(f"probe {h}")
        if seen.get("before_listening") and seen.get("before_local"):
            r.peer.connect(str(seen["before_local"]))
        return self._handle_answer(agent.ask(f"accept {h}"))

    def _send(self, r: _Run, agent: Agent, call: Call) -> dict[str, Any]:
        return self._simple(agent, f"send {int(call.args['handle'])}")

    def _recv(self, r: _Run, agent: Agent, call: Call) -> dict[str, Any] | None:
        h = int(call.args["handle"])
        if agent.ask(f"probe {h}").get("before_peer"):
            # A connected socket with nothing to read blocks, and the agent answers one
            # command at a time: the call is not made (the io family is not driven).
            return None
        a = agent.ask(f"recv {h}")
        fields = self._answer(a)
        if a["ok"]:
            fields["value"] = "data"
        return fields

    def _setsockopt(self, r: _Run, agent: Agent, call: Call) -> dict[str, Any]:
        # Arguments a wrong-handle call leaves out get the rule's default, written into
        # the event so that it names the call that was made.
        value = str(call.args.get("value", "set"))
        h = int(call.args["handle"])
        fields = self._simple(agent, f"setsockopt {h} {int(value == 'set')}")
        return fields | {"args": {"handle": h, "value": value}}

    def _getsockopt(self, r: _Run, agent: Agent, call: Call) -> dict[str, Any]:
        a = agent.ask(f"getsockopt {int(call.args['handle'])}")
        fields = self._answer(a)
        if a["ok"]:
            # SO_KEEPALIVE: 0 is every new TCP socket's value, the model's "default".
            fields["value"] = "set" if int(a["value"]) else "default"
        return fields

    def _WSAEventSelect(self, r: _Run, agent: Agent, call: Call) -> dict[str, Any]:
        on, h = bool(call.args.get("mask_nonzero", True)), int(call.args["handle"])
        fields = self._simple(agent, f"WSAEventSelect {h} {int(on)}")
        return fields | {"args": {"handle": h, "mask_nonzero": on}}

    def _WSAAsyncSelect(self, r: _Run, agent: Agent, call: Call) -> dict[str, Any] | None:
        h = int(call.args["handle"])
        if "before_listening" in agent.ask(f"probe {h}"):
            return None  # a live socket: selecting to no window is not the modelled call
        on = bool(call.args.get("mask_nonzero", True))
        fields = self._simple(agent, f"WSAAsyncSelect {h} {int(on)}")
        return fields | {"args": {"handle": h, "mask_nonzero": on}}

    def _ioctlsocket_fionbio(self, r: _Run, agent: Agent, call: Call) -> dict[str, Any]:
        on, h = bool(call.args.get("nonblocking", True)), int(call.args["handle"])
        fields = self._simple(agent, f"ioctlsocket_fionbio {h} {int(on)}")
        return fields | {"args": {"handle": h, "nonblocking": on}}

    def _process_exit(self, r: _Run, agent: Agent, call: Call) -> dict[str, Any]:
        agent.ask("exit")
        agent.exited = True
        agent.proc.wait(timeout=30)
        return {"result": "ok", "args": {}}


__all__ = ["SUPPORTED_FAMILIES", "AgentPool", "PoolStats", "WineDriver", "preplaced_handle"]

"""The live Linux driver: the stateful machine's calls made by real processes on the
running kernel, and the model in the same Linux vocabulary.

`LinuxDriver` implements the Driver protocol (`..base`): each modelled process is one
agent process (`agent.py`), each machine call one agent command, each answer one trace
event in the vocabulary of traces/real/linux/README.md: real pids, real descriptor
numbers, `socket:[INODE]` identities, errno names. Fork is the kernel's fork of the agent
(inheritance is the kernel's, not ours), exec is an execve of the agent (the kernel closes
the close-on-exec descriptors), SCM_RIGHTS travels over a Unix datagram socketpair per
pair of agents, and pidfd_getfd uses a pidfd per agent; the harness keeps all of that at
descriptor numbers the machine never sees (agent.HARNESS_BASE and up).

The harness is the hub. Agents are forked from one zygote agent per `AgentPool` (a fork
costs a millisecond or two; a Python start-up, 20-40 ms, is paid once per pool and at
each exec). The zygote is a child subreaper that ignores SIGCHLD, so every agent that
exits is reaped at once, whoever its parent was: a process the machine saw exit is gone,
as in the model (the kernel answers pidfd_getfd on a zombie with EBADF, on a reaped
process with ESRCH, and the model's exited process is the latter). When the machine
forks, the driver wires the child to every other agent (a datagram socketpair each, and
pidfds both ways) before the fork's event is returned. The remote peer of connect and
accept is the pool's loopback listeners (TCP and abstract Unix), drained by the driver.

Fresh agents for every example, no reuse: a fork from the zygote is cheap, and an agent
that a run forked, exec'd or filled with descriptors would need a reset that is itself a
source of bugs. `AgentPool.stats` measures the per-example cost.

`linux_model_driver` is the model (or a mutant of `LinuxSemantics`) behind the same
protocol and vocabulary: pids 1100, 1200, ..., descriptor numbers equal to the model's
numbers (lowest free from 1), identities `socket:[N]`. The generic `ModelDriver` writes
Winsock values (handles 0x104, model pids in arguments), which a Linux run cannot use.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import platform
import select
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter, ValidationError

from wsshare.model import NAMES_NOTHING, NONEXISTENT_PID, Config, Ok, Profile, World
from wsshare.model.actions import Action, Err, Fork, SendFds
from wsshare.model.linux import LinuxSemantics
from wsshare.model.semantics import Outcome

from ...fixtures.corpus import observed_pid
from ...trace import TraceEvent, TraceHeader
from ..base import Call, Chooser, Session
from ..model import ModelDriver, StepHook
from .agent import HARNESS_BASE, MAX_FDS, MAX_MESSAGE

AGENT_SCRIPT = Path(__file__).with_name("agent.py")
_ACTION: TypeAdapter[Action] = TypeAdapter(Action)
# How long an agent may take to answer one command (an exec starts an interpreter).
ANSWER_TIMEOUT = 10.0
# The calls the driver makes; anything else is refused (the Winsock vocabulary).
LINUX_CALLS = frozenset(
    {
        "socket",
        "socketpair",
        "open_other",
        "close",
        "dup",
        "set_cloexec",
        "fork",
        "exec",
        "close_range",
        "send_fds",
        "recv_fds",
        "pidfd_getfd",
        "bind",
        "listen",
        "connect",
        "accept",
        "process_exit",
    }
)


class AgentError(RuntimeError):
    """The harness itself failed (an agent died or answered nonsense): not a verdict on
    the kernel. The message says what to look at."""


# -- one agent, seen from the harness -----------------------------------------------------


@dataclass(eq=False)
class Agent:
    pid: int
    channel: socket.socket
    pidfd: int
    running: bool = True
    exec_fds: list[int] = field(default_factory=list)  # what the last exec left open

    def send(self, command: dict[str, Any], fds: list[int] | None = None) -> None:
        data = json.dumps(command).encode()
        try:
            if fds:
                socket.send_fds(self.channel, [data], fds)
            else:
                self.channel.send(data)
        except OSError as e:
            raise AgentError(f"agent {self.pid} is gone ({e}); see its stderr above") from None

    def receive(self) -> tuple[dict[str, Any], list[int]]:
        ready, _, _ = select.select([self.channel], [], [], ANSWER_TIMEOUT)
        if not ready:
            raise AgentError(f"agent {self.pid} did not answer within {ANSWER_TIMEOUT} s")
        data, fds, _, _ = socket.recv_fds(self.channel, MAX_MESSAGE, MAX_FDS)
        if not data:
            raise AgentError(f"agent {self.pid} closed its channel; see its stderr above")
        reply: dict[str, Any] = json.loads(data)
        if reply.get("fault"):
            raise AgentError(f"agent {self.pid}: {reply['fault']}")
        return reply, fds

    def ask(self, command: dict[str, Any], fds: list[int] | None = None) -> dict[str, Any]:
        self.send(command, fds)
        reply, got = self.receive()
        for fd in got:
            os.close(fd)
        return reply

    def close(self) -> None:
        self.channel.close()
        with contextlib.suppress(OSError):
            os.close(self.pidfd)


def _wait_gone(pid: int, pidfd: int, timeout: float = 5.0) -> None:
    """Wait until process `pid` has exited and been reaped (its pidfd polls readable at
    exit; a signal 0 through it fails with ESRCH once it is reaped)."""
    deadline = time.monotonic() + timeout
    poller = select.poll()
    poller.register(pidfd, select.POLLIN)
    poller.poll(int(timeout * 1000))
    while time.monotonic() < deadline:
        try:
            signal.pidfd_send_signal(pidfd, 0)
        except ProcessLookupError:
            return
        time.sleep(0.0005)
    raise AgentError(f"process {pid} did not go away within {timeout} s (a zombie?)")


@dataclass
class PoolStats:
    examples: int = 0
    agents: int = 0
    seconds_starting: float = 0.0  # in start(): forking and wiring the initial agents
    seconds_stopping: float = 0.0

    def line(self) -> str:
        n = max(1, self.examples)
        return (
            f"{self.examples} examples, {self.agents} agents forked;"
            f" start {1000 * self.seconds_starting / n:.1f} ms and stop"
            f" {1000 * self.seconds_stopping / n:.1f} ms per example"
        )


class AgentPool:
    """The zygote agent every initial agent is forked from, and the remote peer: a TCP
    listener on loopback and an abstract Unix listener, which connect calls reach."""

    def __init__(self) -> None:
        self.stats = PoolStats()
        self.tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.tcp.bind(("127.0.0.1", 0))
        self.tcp.listen(64)
        self.tcp.setblocking(False)
        self.unix_name = f"\0wsshare-peer-{os.getpid()}-{id(self)}"
        self.unix = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.unix.bind(self.unix_name)
        self.unix.listen(64)
        self.unix.setblocking(False)
        self.zygote: Agent | None = None
        self.process: subprocess.Popen[bytes] | None = None

    def _start_zygote(self) -> Agent:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        state = {"tcp": list(self.tcp.getsockname()), "unix": self.unix_name}
        self.process = subprocess.Popen(
            [
                *(sys.executable, "-S", str(AGENT_SCRIPT), str(theirs.fileno())),
                *(json.dumps(state), "--zygote"),
            ],
            pass_fds=[theirs.fileno()],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
        )
        theirs.close()
        agent = Agent(self.process.pid, ours, os.pidfd_open(self.process.pid))
        hello = agent.ask({"op": "hello"})
        if not hello.get("ok") or hello.get("fds"):
            raise AgentError(
                f"the zygote agent started with descriptors open below {HARNESS_BASE}: "
                f"{hello.get('fds')}; they would be taken for the program's"
            )
        return agent

    def fork(self, parent: Agent | None = None) -> Agent:
        """A new agent: a fork of `parent` (the zygote if None). Returns it once its
        first answer (its pid) arrived on its own channel."""
        if parent is None:
            if self.zygote is None or self.process is None or self.process.poll() is not None:
                self.zygote = self._start_zygote()
            parent = self.zygote
        parent.send({"op": "fork"})
        reply, fds = parent.receive()
        if not reply.get("ok"):
            for fd in fds:
                os.close(fd)
            raise AgentError(f"fork in agent {parent.pid} failed: {reply.get('errno')}")
        child = self.adopt_channel(reply["child"], fds)
        self.stats.agents += 1
        return child

    @staticmethod
    def adopt_channel(pid: int, fds: list[int]) -> Agent:
        if len(fds) != 1:
            raise AgentError(f"the fork answer carried {len(fds)} descriptors, not a channel")
        channel = socket.socket(fileno=fds[0])
        agent = Agent(pid, channel, os.pidfd_open(pid))
        hello, extra = agent.receive()
        for fd in extra:
            os.close(fd)
        if hello.get("pid") != pid:
            raise AgentError(f"forked agent {pid} answered as {hello.get('pid')}")
        return agent

    def drain(self) -> list[socket.socket]:
        """Accept every connection queued on the peer listeners (connect calls made
        them); the caller keeps them open, so no peer ever ends a connection."""
        found = []
        for listener in (self.tcp, self.unix):
            while True:
                try:
                    conn, _ = listener.accept()
                except BlockingIOError:
                    break
                found.append(conn)
        return found

    def close(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        if self.zygote is not None:
            self.zygote.close()
        self.zygote = None
        self.tcp.close()
        self.unix.close()


_POOL: AgentPool | None = None


def default_pool() -> AgentPool:
    """The process-wide pool (closed at interpreter exit)."""
    global _POOL
    if _POOL is None:
        _POOL = AgentPool()
        atexit.register(_POOL.close)
    return _POOL


# -- the driver ------------------------------------------------------------------------


class LinuxDriver:
    """The running kernel as an implementation under test (see the module doc).

    `processes`: how many agents run when the run begins (others are made by fork);
    `profile`: its name is the header's profile hint (linux-scm-rights or linux-pidfd).
    """

    def __init__(self, profile: Profile, processes: int = 2, pool: AgentPool | None = None) -> None:
        if profile.platform != "linux":
            raise ValueError(f"LinuxDriver needs a Linux profile, not {profile.name!r}")
        self.profile = profile
        self.processes = processes
        self.pool = pool or default_pool()
        self.agents: dict[int, Agent] = {}
        self.peers: list[socket.socket] = []
        self._seq = 0
        self._t0 = 0.0

    # -- the protocol -------------------------------------------------------------------

    def start(self) -> Session:
        begin = time.perf_counter()
        self.stop()
        self._seq = 0
        self._t0 = time.monotonic()
        for _ in range(self.processes):
            agent = self.pool.fork()
            self.agents[agent.pid] = agent
            self._wire(agent)
        pids = tuple(self.agents)
        uname = platform.uname()
        header = TraceHeader(
            implementation="linux",
            platform=f"Linux {uname.release} {uname.machine}",
            level="api",
            recorder="wsshare live Linux driver",
            profile_hint=self.profile.name,
            processes=list(pids),
        )
        self.pool.stats.examples += 1
        self.pool.stats.seconds_starting += time.perf_counter() - begin
        return Session(pids=pids, not_started=frozenset(), uninitialised=frozenset(), header=header)

    def run(self, call: Call, choose: Chooser) -> TraceEvent | None:
        if call.call not in LINUX_CALLS:
            raise ValueError(f"the Linux driver makes Linux calls only, not {call.call!r}")
        agent = self.agents.get(call.pid or 0)
        if agent is None or not agent.running:
            return None  # a process that never ran or has exited makes no call
        args = dict(call.args)
        handler = getattr(self, "_" + call.call, None)
        if handler is not None:
            return handler(agent, args, choose)
        command: dict[str, Any] = {"op": call.call}
        if "handle" in args:
            command["fd"] = args["handle"]
        if call.call == "set_cloexec":
            command["on"] = bool(args.get("on", True))
        reply = agent.ask(command)
        if call.call == "connect":
            self.peers += self.pool.drain()
        return self._event(agent, call.call, args, reply)

    def stop(self) -> None:
        begin = time.perf_counter()
        for agent in self.agents.values():
            if agent.running:
                with contextlib.suppress(ProcessLookupError):
                    signal.pidfd_send_signal(agent.pidfd, signal.SIGKILL)
                _wait_gone(agent.pid, agent.pidfd)
                agent.running = False
            agent.close()
        had = bool(self.agents)
        self.agents = {}
        for peer in self.peers:
            peer.close()
        self.peers = []
        if had:
            self.pool.stats.seconds_stopping += time.perf_counter() - begin

    # -- calls that need the harness ------------------------------------------------------

    def _dup(self, agent: Agent, args: dict[str, Any], choose: Chooser) -> TraceEvent:
        command = {"op": "dup", "fd": args["handle"], "cloexec": bool(args.get("cloexec"))}
        if args.get("to") is not None:
            command["to"] = args["to"]
        return self._event(agent, "dup", args, agent.ask(command))

    def _fork(self, agent: Agent, args: dict[str, Any], choose: Chooser) -> TraceEvent:
        child = self.pool.fork(agent)
        self.agents[child.pid] = child
        self._wire(child)
        return self._event(agent, "fork", {"child": child.pid}, {"ok": True})

    def _exec(self, agent: Agent, args: dict[str, Any], choose: Chooser) -> TraceEvent:
        reply = agent.ask({"op": "exec"})
        if reply.get("ok"):
            if reply.get("pid") != agent.pid:
                raise AgentError(f"agent {agent.pid} came back from exec as {reply.get('pid')}")
            agent.exec_fds = list(reply.get("fds", []))
        return self._event(agent, "exec", {}, reply)

    def _close_range(self, agent: Agent, args: dict[str, Any], choose: Chooser) -> TraceEvent:
        # The machine may ask for the usual close_range(first, ~0U); the agent's own
        # descriptors live from HARNESS_BASE up, so the range the kernel sees stops below
        # them, and the event says so (it names the same program descriptors).
        low, high = int(args["low"]), min(int(args["high"]), HARNESS_BASE - 1)
        cloexec = bool(args.get("cloexec"))
        reply = agent.ask({"op": "close_range", "low": low, "high": high, "cloexec": cloexec})
        return self._event(
            agent, "close_range", {"low": low, "high": high, "cloexec": cloexec}, reply
        )

    def _send_fds(self, agent: Agent, args: dict[str, Any], choose: Chooser) -> TraceEvent | None:
        to = self.agents.get(args["to"])
        if to is None or not to.running:
            return None  # the model has no send to a process that is not running
        handles = [int(h) for h in args["handles"]]
        reply = agent.ask({"op": "send_fds", "to": to.pid, "handles": handles})
        if not reply.get("ok") and reply.get("errno") == "EAGAIN":
            return None  # the receiver's queue is full: the machine tries something else
        return self._event(agent, "send_fds", {"to": to.pid, "handles": handles}, reply)

    def _recv_fds(self, agent: Agent, args: dict[str, Any], choose: Chooser) -> TraceEvent | None:
        sender = int(args["sender"])
        if sender not in self.agents:
            return None
        cloexec = bool(args.get("cloexec"))
        reply = agent.ask({"op": "recv_fds", "sender": sender, "cloexec": cloexec})
        if not reply.get("ok") and reply.get("errno") == "EAGAIN":
            return None  # nothing queued from that sender (the model has no outcome)
        return self._event(agent, "recv_fds", {"sender": sender, "cloexec": cloexec}, reply)

    def _pidfd_getfd(
        self, agent: Agent, args: dict[str, Any], choose: Chooser
    ) -> TraceEvent | None:
        source = int(args["source_pid"])
        if source not in self.agents:
            return None  # no pidfd was ever opened for it: not a process of the run
        reply = agent.ask({"op": "pidfd_getfd", "source": source, "fd": int(args["handle"])})
        return self._event(
            agent, "pidfd_getfd", {"source_pid": source, "handle": int(args["handle"])}, reply
        )

    def _accept(self, agent: Agent, args: dict[str, Any], choose: Chooser) -> TraceEvent:
        """accept: the peer first connects to the listener, or does not (`choose`), so
        both a queued connection and an empty queue (EAGAIN) are met."""
        fd = int(args["handle"])
        if choose(2) == 0:
            where = agent.ask({"op": "sockname", "fd": fd})
            if where.get("ok") and where.get("family") == socket.AF_INET:
                peer = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                peer.settimeout(1.0)
                try:
                    peer.connect(tuple(where["address"]))
                    self.peers.append(peer)
                except OSError:
                    peer.close()  # not listening: refused, and nothing is queued
        return self._event(agent, "accept", args, agent.ask({"op": "accept", "fd": fd}))

    def _process_exit(self, agent: Agent, args: dict[str, Any], choose: Chooser) -> TraceEvent:
        reply = agent.ask({"op": "exit"})
        _wait_gone(agent.pid, agent.pidfd)
        agent.running = False
        return self._event(agent, "process_exit", {}, reply)

    def _wire(self, new: Agent) -> None:
        """Give `new` a datagram socketpair with every running agent and a pidfd of every
        agent of the run (exited ones too: pidfd_getfd on them is ESRCH); give the
        others a pidfd of `new`."""
        others = [a for a in self.agents.values() if a is not new]
        running = [a for a in others if a.running]
        ends: list[int] = []
        made: list[socket.socket] = []
        for other in running:
            a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
            made += [a, b]
            ends.append(a.fileno())
            other.ask(
                {"op": "adopt", "peers": [new.pid], "pidfds": [new.pid]},
                [b.fileno(), new.pidfd],
            )
        new.ask(
            {
                "op": "adopt",
                "peers": [o.pid for o in running],
                "pidfds": [o.pid for o in others],
            },
            ends + [o.pidfd for o in others],
        )
        for s in made:
            s.close()

    # -- answers as trace events -------------------------------------------------------

    def _event(
        self, agent: Agent, call: str, args: dict[str, Any], reply: dict[str, Any]
    ) -> TraceEvent:
        fields: dict[str, Any] = {"args": args}
        if reply.get("ok"):
            fields["result"] = "ok"
            if "value" in reply:
                fields["value"] = reply["value"]
        else:
            if not reply.get("errno"):
                raise AgentError(f"agent {agent.pid}: {call} failed without an errno: {reply}")
            fields["result"] = "error"
            fields["error"] = reply["errno"]
        if reply.get("ident"):
            fields["socket"] = reply["ident"]
        if reply.get("idents") is not None:
            fields["sockets"] = reply["idents"]
        event = TraceEvent(
            seq=self._seq,
            time=round(time.monotonic() - self._t0, 6),
            pid=agent.pid,
            tid=agent.pid,
            call=call,
            **fields,
        )
        self._seq += 1
        return event


# -- the model in the Linux vocabulary ------------------------------------------------------


def _socket_identity(socket_id: int) -> str:
    return f"socket:[{socket_id + 1}]"


class LinuxModelDriver(ModelDriver):
    """A `LinuxSemantics` (the reference or a mutant) behind the Driver protocol, in the
    Linux vocabulary (see the module doc): the processes not started are born by fork,
    so the session lists the running ones only, and a fork names its child then."""

    def start(self) -> Session:
        session = super().start()
        assert self.world is not None
        running = tuple(observed_pid(p.pid) for p in self.world.processes if p.status == "running")
        header = session.header.model_copy(
            update={"implementation": self.name, "processes": list(running)}
        )
        return Session(
            pids=running, not_started=frozenset(), uninitialised=frozenset(), header=header
        )

    def action(self, call: Call) -> Action | None:
        assert self.world is not None
        pid = self._pids.get(call.pid or 0)
        if pid is None:
            return None
        args = dict(call.args)
        data: dict[str, Any] = {"call": call.call, "pid": pid}
        for name in ("handle", "to"):
            if name in args and not (call.call == "send_fds" and name == "to"):
                data[name] = self._number(args[name])
        if call.call == "send_fds":
            data["to"] = self._pids.get(args["to"], NONEXISTENT_PID)
            data["handles"] = tuple(self._number(h) for h in args["handles"])
        if call.call == "recv_fds":
            data["sender"] = self._pids.get(args["sender"], NONEXISTENT_PID)
        if call.call == "pidfd_getfd":
            data["source_pid"] = self._pids.get(args["source_pid"], NONEXISTENT_PID)
        if call.call == "fork":
            unborn = [p.pid for p in self.world.processes if p.status == "not_started"]
            if not unborn:
                return None  # the configuration's processes are used up
            data["child"] = unborn[0]
        if call.call == "close_range":
            mine = [d.handle for d in self.world.descriptors_of(pid)]
            data["handles"] = tuple(h for h in mine if args["low"] <= h <= args["high"])
        for name in ("cloexec", "on"):
            if name in args:
                data[name] = bool(args[name])
        try:
            return _ACTION.validate_python(data)
        except ValidationError:
            return None  # e.g. a negative number: no call the model can make

    @staticmethod
    def _number(value: object) -> int:
        # Descriptor numbers are the model's own numbers; others name nothing.
        return value if isinstance(value, int) and value > 0 else NAMES_NOTHING

    def _render(self, call: Call, action: Action, before: World, outcome: Outcome) -> TraceEvent:
        return self._linux_event(call, action, before, outcome)

    def _linux_event(
        self, call: Call, action: Action, before: World, outcome: Outcome
    ) -> TraceEvent:
        after, result = outcome.world, outcome.result
        pid = action.pid  # type: ignore[union-attr]
        args = dict(call.args)
        fields: dict[str, Any] = {}
        if call.call == "fork":
            assert isinstance(action, Fork)
            child = action.child
            self._pids[observed_pid(child)] = child
            args = {"child": observed_pid(child)}
        if call.call == "close_range":
            args = {"low": args["low"], "high": args["high"], "cloexec": bool(args.get("cloexec"))}

        def ident(world: World, number: int) -> str | None:
            d = world.descriptor(pid, number)
            return _socket_identity(d.socket) if d is not None else None

        if isinstance(result, Ok):
            fields["result"] = "ok"
            value = result.value
            if isinstance(value, tuple):
                fields["value"] = list(value)
                fields["sockets"] = [ident(after, n) for n in value]
            elif isinstance(value, int):
                fields["value"] = value
                fields["socket"] = ident(after, value)
        else:
            assert isinstance(result, Err)
            fields["result"] = "error"
            fields["error"] = result.error.name
        handle = getattr(action, "handle", None)
        if "socket" not in fields and isinstance(handle, int) and call.call != "pidfd_getfd":
            fields["socket"] = ident(before, handle)
        if isinstance(action, SendFds) and isinstance(result, Ok):
            fields["sockets"] = [ident(before, n) for n in action.handles]
        fields = {k: v for k, v in fields.items() if v is not None}
        event = TraceEvent(
            seq=self._seq,
            time=round(0.001 * self._seq, 3),
            pid=observed_pid(pid),
            tid=observed_pid(pid),
            call=call.call,
            args=args,
            **fields,
        )
        self._seq += 1
        return event


def linux_model_driver(
    config: Config,
    profile: Profile,
    semantics: type[LinuxSemantics] = LinuxSemantics,
    name: str = "model",
    on_step: StepHook | None = None,
) -> LinuxModelDriver:
    """The Linux model (or a subclass of it, a mutant) as an implementation under test."""
    return LinuxModelDriver(semantics(config, profile), name, on_step)


__all__ = [
    "AGENT_SCRIPT",
    "Agent",
    "AgentError",
    "AgentPool",
    "LinuxDriver",
    "LinuxModelDriver",
    "default_pool",
    "linux_model_driver",
]

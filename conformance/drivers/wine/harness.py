"""Recording real Winsock traces under Wine.

One agent (agent.c, built with MinGW) runs per modelled process under Wine; the harness
drives each through its stdin, one command per line, and reads one JSON line per command.
The harness is also everything around the processes:

- the IPC: the info bytes travel from the source's answer to the target's command through
  the harness, so the handoff is real (two Windows processes, a wineserver between them);
- the remote peer: a listening TCP socket on 127.0.0.1 in this process accepts every
  connection the agents make, sends data when a scenario asks (`peer_send`) and watches
  for the FIN that says the underlying socket was released (`peer_sees_close`);
- the recorder: every call becomes one trace event (the model's call names and argument
  types) with the observed pid, handle value, WSA error, info digest and socket identity.

Nothing here judges a result: the checker does, against the model.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import platform
import queue
import select
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ...trace import TraceHeader, TraceWriter

INSTALL_HINT = (
    "apt-get update && DEBIAN_FRONTEND=noninteractive "
    "apt-get install -y --no-install-recommends wine64 gcc-mingw-w64-x86-64"
)
AGENT_SOURCE = Path(__file__).with_name("agent.c")
# The compiler line; part of the build hash, so changing a flag rebuilds the agent.
BUILD_FLAGS = ("-O1", "-Wall", "-Werror")
BUILD_LIBS = ("-lws2_32",)
# sizeof(WSAPROTOCOL_INFOW) on Windows (C29): anything else is not an info.
INFO_SIZE = 628
# Where Wine's WSADuplicateSocketW leaves its data in the info (semantics.md B.1): the
# handle it pre-placed in the target in dwServiceFlags3, the third DWORD, and a marker in
# dwServiceFlags4, the fourth, which WSASocketW checks before returning dwServiceFlags3.
SERVICE_FLAGS3_OFFSET = 8
SERVICE_FLAGS4_OFFSET = 12
WINE_INFO_MARKER = 0xFF00FF00
# How long an agent may take to answer one command. Every command the scenarios send
# returns at once on a working stack; a hang means the implementation blocked where the
# model says it must not, and the recording stops there with a clear error.
ANSWER_TIMEOUT = 15.0
# How long the peer waits for a FIN after a close or an exit. Loopback delivers a FIN in
# well under a millisecond once the last reference goes; a FIN that comes later still
# lands in the trace at the next poll, which is sound (the model allows the peer to see
# the close at any time after the release).
FIN_WAIT = 0.25
FINAL_FIN_WAIT = 2.0
# How long a scenario waits for a call it expects may block before recording it as a
# call that did not return. Every other command answers within milliseconds.
BLOCK_WAIT = 3.0


class WineUnavailable(RuntimeError):
    """Wine or MinGW is missing: the message names the packages to install."""


class AgentError(RuntimeError):
    """An agent died, did not answer in time, or rejected a command."""


def cache_dir() -> Path:
    """Where the agent and the Wine prefix live: never inside the repository."""
    explicit = os.environ.get("WSSHARE_CACHE")
    if explicit:
        return Path(explicit) / "wine"
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "wsshare" / "wine"


@dataclass(frozen=True)
class Toolchain:
    wine: str
    wineserver: str | None
    gcc: str

    @staticmethod
    def find() -> Toolchain:
        """Wine's loader and MinGW's gcc, or WineUnavailable naming what is missing.

        Debian's wine64 package does not put `wine` on the PATH (recording.md): the
        loader is /usr/lib/wine/wine64."""
        wine = os.environ.get("WSSHARE_WINE") or next(
            (
                p
                for p in ("/usr/lib/wine/wine64", shutil.which("wine64"), shutil.which("wine"))
                if p and os.access(p, os.X_OK)
            ),
            None,
        )
        server = next(
            (
                p
                for p in ("/usr/lib/wine/wineserver", shutil.which("wineserver"))
                if p and os.access(p, os.X_OK)
            ),
            None,
        )
        gcc = shutil.which("x86_64-w64-mingw32-gcc")
        missing = [
            name
            for name, found in (("Wine (wine64)", wine), ("MinGW (x86_64-w64-mingw32-gcc)", gcc))
            if not found
        ]
        if missing:
            raise WineUnavailable(
                f"{' and '.join(missing)} not found; install them with: {INSTALL_HINT}"
            )
        assert wine is not None and gcc is not None
        return Toolchain(wine=wine, wineserver=server, gcc=gcc)


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """An exclusive lock on `path`: two test workers must not build the agent or
    initialise the prefix at the same time."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def build_agent(root: Path, tools: Toolchain, source: Path = AGENT_SOURCE) -> tuple[Path, str]:
    """Compile the agent into `root`, once per distinct source and flags: the file name
    carries their hash, so an edited agent is rebuilt and a stale one is never run. The
    executable and its hash."""
    text = source.read_bytes()
    digest = hashlib.sha256(text + "\0".join((*BUILD_FLAGS, *BUILD_LIBS)).encode()).hexdigest()
    digest = digest[:16]
    exe = root / f"agent-{digest}.exe"
    with _locked(root / "build.lock"):
        if not exe.exists():
            # Compile beside the target and rename: a reader never sees half a file.
            tmp = root / f"agent-{digest}.{os.getpid()}.tmp.exe"
            argv = [tools.gcc, *BUILD_FLAGS, "-o", str(tmp), str(source), *BUILD_LIBS]
            done = subprocess.run(argv, capture_output=True, text=True, check=False)
            if done.returncode != 0:
                raise AgentError(f"building the agent failed:\n{done.stderr}")
            tmp.replace(exe)
    return exe, digest


class WineEnv:
    """The toolchain, the built agent and an initialised prefix: one per session."""

    def __init__(self, root: Path | None = None, tools: Toolchain | None = None) -> None:
        self.tools = tools or Toolchain.find()
        self.root = root or cache_dir()
        self.prefix = self.root / "prefix"
        self.agent, self.agent_hash = build_agent(self.root, self.tools)
        self._init_prefix()
        self.version = self._run([self.tools.wine, "--version"]).strip()

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            WINEPREFIX=str(self.prefix),
            WINEDEBUG="-all",
            # No Mono or Gecko installer dialog during wineboot: console programs only.
            WINEDLLOVERRIDES="mscoree=d;mshtml=d",
        )
        env.pop("DISPLAY", None)
        return env

    def _run(self, argv: list[str], timeout: float = 300) -> str:
        done = subprocess.run(
            argv, capture_output=True, text=True, env=self.env(), timeout=timeout, check=False
        )
        if done.returncode != 0:
            raise AgentError(f"{' '.join(argv)} failed ({done.returncode}): {done.stderr[-2000:]}")
        return done.stdout

    def _init_prefix(self) -> None:
        """`wineboot --init` once per prefix (a few seconds the first time); a stamp
        file says it finished, so an interrupted init is redone."""
        stamp = self.prefix / ".wsshare-initialised"
        with _locked(self.root / "prefix.lock"):
            if not stamp.exists():
                self.prefix.mkdir(parents=True, exist_ok=True)
                self._run([self.tools.wine, "wineboot", "--init"])
                stamp.write_text("ok\n")

    def platform(self) -> str:
        return f"{self.version} (Linux {platform.release()} {platform.machine()})"


# -- one agent ------------------------------------------------------------------------------


class Agent:
    """One Windows process running agent.exe under Wine."""

    def __init__(self, env: WineEnv, name: str) -> None:
        self.name = name
        self.proc = subprocess.Popen(
            [env.tools.wine, str(env.agent)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env.env(),
            text=True,
            bufsize=1,
        )
        self._lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()
        self.pid = 0
        self.exited = False
        self.blocked: str | None = None  # the command it is still inside, if any

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self._lines.put(line)
        self._lines.put(None)

    def ask(self, command: str, timeout: float = ANSWER_TIMEOUT) -> dict[str, Any]:
        """Send one command; its one JSON answer."""
        answer = self.try_ask(command, timeout)
        if answer is None:
            raise AgentError(
                f"{self.name} (pid {self.pid}): no answer to {command.split()[0]!r} within "
                f"{timeout:.0f} s (the call blocked)"
            )
        return answer

    def try_ask(self, command: str, timeout: float) -> dict[str, Any] | None:
        """Send one command; its answer, or None when the call has not returned within
        `timeout` (the agent stays inside it: only kill() ends it)."""
        if self.exited:
            raise AgentError(f"{self.name}: the process has exited; cannot run {command!r}")
        if self.blocked is not None:
            raise AgentError(
                f"{self.name}: still inside {self.blocked.split()[0]!r}; cannot run {command!r}"
            )
        assert self.proc.stdin is not None
        try:
            self.proc.stdin.write(command + "\n")
            self.proc.stdin.flush()
        except BrokenPipeError:
            raise AgentError(f"{self.name}: the agent is gone ({self._stderr()})") from None
        try:
            line = self._lines.get(timeout=timeout)
        except queue.Empty:
            self.blocked = command
            return None
        if line is None:
            raise AgentError(f"{self.name}: the agent died during {command!r}: {self._stderr()}")
        answer: dict[str, Any] = json.loads(line)
        if "bad_command" in answer:
            raise AgentError(f"{self.name}: {command.split()[0]!r}: {answer['bad_command']}")
        return answer

    def _stderr(self) -> str:
        if self.proc.poll() is None or self.proc.stderr is None:
            return "still running"
        return self.proc.stderr.read()[-1000:]

    def close(self) -> None:
        """Make sure the process is gone (a scenario that failed half-way leaves it)."""
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=30)
        for stream in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()


def identity(answer: dict[str, Any]) -> str | None:
    """A stable identity of the socket an answer is about, or None.

    A connected TCP socket is its address pair (local>peer), which no other live socket
    on the machine shares; a listening socket is its local address, marked as listening
    (an accepted socket shares the local address but has a peer). A socket neither
    connected nor listening has no stable identity yet (its address changes when it
    connects), so none is given. Addresses read after the call win over those read
    before: connect gives a socket its pair; closesocket leaves only the "before".
    """
    for when in ("after", "before"):
        local = answer.get(f"{when}_local")
        peer = answer.get(f"{when}_peer")
        if local and peer:
            return f"tcp:{local}>{peer}"
        if local and answer.get(f"{when}_listening"):
            return f"tcp-listen:{local}"
    return None


def info_digest(hex_bytes: str) -> str:
    """The digest a trace carries for an info: equal bytes, equal digest."""
    return hashlib.sha256(bytes.fromhex(hex_bytes)).hexdigest()[:16]


def service_flags(hex_bytes: str, offset: int) -> int:
    """A DWORD of an info's bytes (little-endian, as on x86)."""
    return int.from_bytes(bytes.fromhex(hex_bytes)[offset : offset + 4], "little")


# -- the remote peer --------------------------------------------------------------------------


@dataclass
class PeerConnection:
    sock: socket.socket
    identity: str  # the identity of the agent's socket at the other end
    fin_seen: bool = False


class Peer:
    """The remote end of every connection: a listener on 127.0.0.1, and clients for the
    agents' listeners."""

    def __init__(self) -> None:
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(16)
        self.listener.settimeout(ANSWER_TIMEOUT)
        self.port: int = self.listener.getsockname()[1]
        self.connections: dict[str, PeerConnection] = {}

    @staticmethod
    def _agent_side(s: socket.socket) -> str:
        # The agent's identity of this connection: its local address is our peer.
        here = "{}:{}".format(*s.getsockname())
        there = "{}:{}".format(*s.getpeername())
        return f"tcp:{there}>{here}"

    def accept(self) -> PeerConnection:
        s, _ = self.listener.accept()
        return self._keep(s)

    def connect(self, address: str) -> PeerConnection:
        """Connect to an agent's listener (it accepts later: the connection waits in its
        backlog, as the model's accept assumes)."""
        host, port = address.rsplit(":", 1)
        s = socket.create_connection((host, int(port)), timeout=ANSWER_TIMEOUT)
        return self._keep(s)

    def _keep(self, s: socket.socket) -> PeerConnection:
        s.setblocking(False)
        c = PeerConnection(s, self._agent_side(s))
        self.connections[c.identity] = c
        return c

    def send(self, ident: str) -> None:
        self.connections[ident].sock.send(b"peer")

    def poll_fins(self, wait: float, all_: bool = False) -> list[str]:
        """Identities whose connection ended (FIN) within `wait` seconds, draining the
        data the agents sent. Without `all_`, returns once a FIN came (one step releases
        its sockets together, so the others of that step are read at once too); with it,
        waits until every connection has ended or the time is up."""
        ended: list[str] = []
        deadline = time.monotonic() + wait
        while True:
            open_ = [c for c in self.connections.values() if not c.fin_seen]
            for c in open_:
                if self._drain(c):
                    ended.append(c.identity)
            if len(ended) == len(open_) or (ended and not all_):
                return ended
            left = deadline - time.monotonic()
            if left <= 0:
                return ended
            select.select([c.sock for c in open_ if not c.fin_seen], [], [], left)

    @staticmethod
    def _drain(c: PeerConnection) -> bool:
        """Read what is there without blocking; True when the connection ended."""
        try:
            while True:
                data = c.sock.recv(65536)
                if not data:
                    c.fin_seen = True
                    return True
        except BlockingIOError:
            return False
        except ConnectionResetError:
            # A reset also means the agents' last reference went.
            c.fin_seen = True
            return True

    def close(self) -> None:
        for c in self.connections.values():
            c.sock.close()
        self.listener.close()


# -- recording -------------------------------------------------------------------------------


@dataclass
class Info:
    """An info as the harness holds it: the bytes it relays, and their digest."""

    hex: str
    digest: str

    def altered(self, service_flags3: int | None = None, service_flags4: int | None = None) -> Info:
        """These bytes with dwServiceFlags3 or dwServiceFlags4 replaced, as a program that
        corrupts the info in transit would pass them. The digest is that of the new
        bytes, which no WSADuplicateSocket minted, so a trace shows the checker bytes that
        are no info."""
        raw = bytearray(bytes.fromhex(self.hex))
        for offset, value in (
            (SERVICE_FLAGS3_OFFSET, service_flags3),
            (SERVICE_FLAGS4_OFFSET, service_flags4),
        ):
            if value is not None:
                raw[offset : offset + 4] = value.to_bytes(4, "little")
        if raw.hex() == self.hex:
            # Equal bytes would be this very info, and its digest would say so.
            raise ValueError("the altered bytes are the info's own")
        return Info(raw.hex(), info_digest(raw.hex()))

    @staticmethod
    def zeros() -> Info:
        """628 zero bytes: the shape of an info, with nothing in it."""
        hex_bytes = "00" * INFO_SIZE
        return Info(hex_bytes, info_digest(hex_bytes))


@dataclass
class Recording:
    """One scenario run: agents, the peer, and the trace being written."""

    env: WineEnv
    path: Path
    processes: int
    record_ipc: bool = False
    agents: list[Proc] = field(default_factory=list)
    marks: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.peer = Peer()
        self._started = time.monotonic()
        self._events = 0
        self._writer: TraceWriter | None = None
        self._minted: dict[str, int] = {}
        raw = [Agent(self.env, f"P{i + 1}") for i in range(self.processes)]
        try:
            for a in raw:
                a.pid = int(a.ask("getpid")["pid"])
        except Exception:
            for a in raw:
                a.close()
            self.peer.close()
            raise
        self.agents = [Proc(self, a) for a in raw]

    def open(self, recorder: str) -> None:
        header = TraceHeader(
            implementation="wine-8.0",
            platform=self.env.platform(),
            level="api",
            recorder=recorder,
            profile_hint="wine-8.0",
            processes=[p.pid for p in self.agents],
            # The harness relays every info, but only the seed's scenario records the
            # relay as the seed's IPC steps; elsewhere it is left out, as unobserved.
            unobserved=[] if self.record_ipc else ["ipc"],
        )
        self._writer = TraceWriter(self.path, header)

    def clock(self) -> float:
        """Seconds since the recording started: an event's time."""
        return round(time.monotonic() - self._started, 6)

    def event(self, **fields: Any) -> int:
        """Write one event; its 0-based index among the events."""
        assert self._writer is not None, "open() the recording first"
        fields.setdefault("time", self.clock())
        self._writer.event(**fields)
        self._events += 1
        return self._events - 1

    def mint(self, hex_bytes: str) -> str:
        """The digest of an info a WSADuplicateSocket call just produced.

        Wine's info carries the handle value pre-placed in the target and no trace of
        the target itself, so two calls can produce the same bytes: a fan-out to two
        targets whose handle tables are alike, or a second info for one target after the
        first handle value was freed. The trace format takes equal digests to name one
        info; these are distinct infos (each pre-placed its own handle), and the harness,
        which relays them, knows which call made which. So the n-th call that yields
        bytes already seen gets the bytes' digest with "~n" appended: equal digests
        still mean equal bytes from one call, and the suffix is the only thing not read
        from the bytes."""
        digest = info_digest(hex_bytes)
        seen = self._minted.get(digest, 0)
        self._minted[digest] = seen + 1
        return digest if seen == 0 else f"{digest}~{seen + 1}"

    def mark(self, label: str) -> None:
        """Name the next event, so an expectation can point at it."""
        self.marks[label] = self._events

    # -- the peer and IPC -------------------------------------------------------------------

    def peer_send(self, ident: str) -> None:
        self.peer.send(ident)
        self.event(call="peer_send", result="ok", socket=ident)

    def fins(self, wait: float = FIN_WAIT, all_: bool = False) -> None:
        for ident in self.peer.poll_fins(wait, all_):
            self.event(call="peer_sees_close", result="ok", socket=ident)

    def _relay(
        self, src: Proc, dst: Proc, message: dict[str, Any], digest: str | None = None
    ) -> None:
        """One IPC message of the seed's table: sent by `src`, received by `dst` (the
        harness is the channel, so both ends are recorded)."""
        extra = {"info_digest": digest} if digest is not None else {}
        self.event(
            pid=src.pid,
            call="ipc_send",
            args={"to": dst.pid, "message": message},
            result="ok",
            **extra,
        )
        self.event(
            pid=dst.pid,
            call="ipc_recv",
            args={"sender": src.pid},
            result="ok",
            value=message,
            **extra,
        )

    def ipc_pid(self, src: Proc, dst: Proc) -> int:
        """Steps 2-4 of the seed: the source asks the target for its pid; the target's
        answer is read from the target itself."""
        self._relay(src, dst, {"kind": "pid_request"})
        pid = int(dst.agent.ask("getpid")["pid"])
        self._relay(dst, src, {"kind": "pid_reply", "pid": pid})
        return pid

    def ipc_info(self, src: Proc, dst: Proc, info: Info) -> None:
        self._relay(src, dst, {"kind": "info"}, info.digest)

    def ipc_done(self, src: Proc, dst: Proc) -> None:
        self._relay(src, dst, {"kind": "done"})

    def finish(self) -> None:
        """End the scenario: every agent still running exits (recorded: the system's
        closes at exit are part of what the model explains), then the last FINs."""
        for p in self.agents:
            if not p.agent.exited:
                p.exit()
        self.fins(FINAL_FIN_WAIT, all_=True)

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
        for p in self.agents:
            p.agent.close()
        self.peer.close()


class Proc:
    """A modelled process: each method makes one call in the agent and records it."""

    def __init__(self, rec: Recording, agent: Agent) -> None:
        self.rec = rec
        self.agent = agent
        self.pid = agent.pid

    def _call(
        self, command: str, call: str, args: dict[str, Any] | None = None, **extra: Any
    ) -> dict[str, Any]:
        answer = self.agent.ask(command)
        if int(answer["pid"]) != self.pid:
            raise AgentError(f"{self.agent.name}: pid changed from {self.pid} to {answer['pid']}")
        fields: dict[str, Any] = {"pid": self.pid, "call": call, "args": args or {}}
        if answer["ok"]:
            fields["result"] = "ok"
        else:
            fields["result"] = "error"
            fields["error"] = answer["error"]
        ident = identity(answer)
        if ident is not None:
            fields["socket"] = ident
        fields.update(extra)
        self.rec.event(**fields)
        return answer

    # -- calls -----------------------------------------------------------------------------

    def startup(self) -> None:
        self._call("WSAStartup", "WSAStartup")

    def cleanup(self) -> None:
        self._call("WSACleanup", "WSACleanup")
        self.rec.fins()

    def socket(self) -> int:
        """WSASocket for a fresh TCP socket: its handle value (0 if the call failed)."""
        a = self.agent.ask("WSASocket")
        return self._handle_result(a, "WSASocket", {"provider": 0})

    def _handle_result(
        self, a: dict[str, Any], call: str, args: dict[str, Any], **extra: Any
    ) -> int:
        fields: dict[str, Any] = {"pid": self.pid, "call": call, "args": args, **extra}
        if a["ok"]:
            fields.update(result="ok", value=int(a["handle"]))
        else:
            fields.update(result="error", error=a["error"])
        ident = identity(a)
        if ident is not None:
            fields["socket"] = ident
        self.rec.event(**fields)
        return int(a["handle"]) if a["ok"] else 0

    def connect(self, h: int) -> str:
        """connect to the peer; the socket's identity (the peer accepts at once)."""
        a = self._call(f"connect {h} {self.rec.peer.port}", "connect", {"handle": h})
        if not a["ok"]:
            raise AgentError(f"connect failed: {a['error']}")
        return self.rec.peer.accept().identity

    def bind(self, h: int) -> None:
        self._call(f"bind {h}", "bind", {"handle": h})

    def listen(self, h: int) -> str:
        a = self._call(f"listen {h}", "listen", {"handle": h})
        local = a.get("after_local")
        if not a["ok"] or not local:
            raise AgentError(f"listen failed: {a}")
        return str(local)

    def accept(self, h: int) -> int:
        a = self.agent.ask(f"accept {h}")
        return self._handle_result(a, "accept", {"handle": h})

    def duplicate(self, h: int, target_pid: int, buffer: bool = True) -> Info | None:
        """WSADuplicateSocket; the info it produced, or None when it failed."""
        command = f"WSADuplicateSocket {h} {target_pid}" + ("" if buffer else " null")
        a = self.agent.ask(command)
        args = {"handle": h, "target_pid": target_pid, "buffer": buffer, "variant": "W"}
        fields: dict[str, Any] = {"pid": self.pid, "call": "WSADuplicateSocket", "args": args}
        info = None
        if a["ok"]:
            fields["result"] = "ok"
            if buffer:
                if len(a["info"]) != 2 * INFO_SIZE:
                    raise AgentError(f"an info of {len(a['info']) // 2} bytes")
                info = Info(a["info"], self.rec.mint(a["info"]))
                fields["info_digest"] = info.digest
        else:
            fields.update(result="error", error=a["error"])
        ident = identity(a)
        if ident is not None:
            fields["socket"] = ident
        self.rec.event(**fields)
        return info

    def from_info(self, info: Info) -> int:
        """WSASocket(FROM_PROTOCOL_INFO x3, &info, 0, WSA_FLAG_OVERLAPPED); the handle
        value it returned, or 0 when it failed."""
        a = self.agent.ask(f"WSASocketFromInfo {info.hex}")
        return self._handle_result(
            a, "WSASocketFromInfo", {"variant": "W"}, info_digest=info.digest
        )

    def close(self, h: int) -> bool:
        a = self._call(f"closesocket {h}", "closesocket", {"handle": h})
        self.rec.fins()
        return bool(a["ok"])

    def send(self, h: int) -> None:
        self._call(f"send {h}", "send", {"handle": h})

    def send_may_block(self, h: int, wait: float = BLOCK_WAIT) -> bool:
        """send where the call may not return: recorded as it returned, or, after `wait`
        seconds without an answer, as a `call` event with no return (the process is then
        inside the call until kill()). Whether it returned."""
        started = self.rec.clock()
        a = self.agent.try_ask(f"send {h}", wait)
        if a is None:
            call = {"pid": self.pid, "call": "send", "args": {"handle": h}}
            self.rec.event(**call, phase="call", time=started)
            return False
        fields: dict[str, Any] = {"pid": self.pid, "call": "send", "args": {"handle": h}}
        if a["ok"]:
            fields["result"] = "ok"
        else:
            fields.update(result="error", error=a["error"])
        ident = identity(a)
        if ident is not None:
            fields["socket"] = ident
        self.rec.event(**fields)
        return True

    def names_nothing(self, h: int) -> bool:
        """Whether the value `h` names no socket here (the agent's probe, which changes
        no Winsock state and is not recorded, finds no address and no SO_ACCEPTCONN)."""
        a = self.agent.ask(f"probe {h}")
        return not any(k.startswith("before_") for k in a)

    def recv(self, h: int) -> None:
        a = self.agent.ask(f"recv {h}")
        fields: dict[str, Any] = {"pid": self.pid, "call": "recv", "args": {"handle": h}}
        if a["ok"]:
            if int(a["ret"]) == 0:
                raise AgentError("recv returned 0: the peer closed, which no scenario does")
            fields.update(result="ok", value="data")
        else:
            fields.update(result="error", error=a["error"])
        ident = identity(a)
        if ident is not None:
            fields["socket"] = ident
        self.rec.event(**fields)

    def setsockopt(self, h: int, value: str = "set") -> None:
        flag = {"default": 0, "set": 1}[value]
        self._call(f"setsockopt {h} {flag}", "setsockopt", {"handle": h, "value": value})

    def getsockopt(self, h: int) -> None:
        a = self.agent.ask(f"getsockopt {h}")
        fields: dict[str, Any] = {"pid": self.pid, "call": "getsockopt", "args": {"handle": h}}
        if a["ok"]:
            # SO_KEEPALIVE: 0 is every new TCP socket's value, the model's "default".
            raw = int(a["value"])
            fields.update(result="ok", value="set" if raw else "default")
        else:
            fields.update(result="error", error=a["error"])
        ident = identity(a)
        if ident is not None:
            fields["socket"] = ident
        self.rec.event(**fields)

    def event_select(self, h: int, mask: int = 1) -> None:
        """WSAEventSelect with a fresh event; mask 1 is FD_READ, 0 cancels."""
        self._call(
            f"WSAEventSelect {h} {mask}", "WSAEventSelect", {"handle": h, "mask_nonzero": mask != 0}
        )

    def fionbio(self, h: int, nonblocking: bool) -> None:
        self._call(
            f"ioctlsocket_fionbio {h} {int(nonblocking)}",
            "ioctlsocket_fionbio",
            {"handle": h, "nonblocking": nonblocking},
        )

    def open_process(self, pid: int) -> None:
        """Hold a handle to process `pid` (not a Winsock call: not recorded), so its
        process object outlives it."""
        if not self.agent.ask(f"openprocess {pid}")["ok"]:
            raise AgentError(f"OpenProcess({pid}) failed")

    def exit(self) -> None:
        if self.agent.blocked is not None:
            self.kill()
            return
        self.agent.ask("exit")
        self.agent.exited = True
        self.agent.proc.wait(timeout=ANSWER_TIMEOUT)
        self.rec.event(pid=self.pid, call="process_exit", result="ok")
        self.rec.fins()

    def kill(self) -> None:
        """End the process from outside, as a process stuck in a call ends: Wine's
        server closes its handles when the process dies."""
        self.agent.close()
        self.agent.exited = True
        self.rec.event(pid=self.pid, call="process_exit", result="ok")
        self.rec.fins()

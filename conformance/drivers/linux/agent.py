"""An agent process for the live Linux driver: makes descriptor calls on command.

Run as a script (`python -S agent.py CHANNEL_FD [STATE]`), never imported by the agent
itself as a package: it uses the standard library only, so an exec (a new interpreter)
costs one Python start-up and nothing of wsshare.

The command channel is a Unix SOCK_SEQPACKET socket: one JSON object per message each
way, and descriptors the harness hands over ride on the same message as SCM_RIGHTS (the
other agents' channels and pidfds). Stdin and stdout cannot carry descriptors, hence
the socket.

Descriptor numbers. The model allocates the lowest free number in a table that holds the
program's descriptors only. The agent keeps everything of its own (the channel, one
datagram socket per other agent for SCM_RIGHTS, one pidfd per agent) at numbers of at
least HARNESS_BASE, and 0, 1, 2 stay open on /dev/null or stderr, so every number from
3 to HARNESS_BASE - 1 is a descriptor the machine observed: close_range over that span
touches only those, and a new descriptor takes the lowest free number as in the model.
Harness descriptors are never close-on-exec, so they survive the agent's own exec.

Calls are the raw syscalls through libc (ctypes), not Python's wrappers, because Python
makes every descriptor close-on-exec (PEP 446) and the model's socket(), dup() and
fork inheritance do not.
"""

from __future__ import annotations

import array
import contextlib
import ctypes
import errno
import fcntl
import json
import os
import signal
import socket
import stat
import sys
from collections.abc import Iterator
from typing import Any

HARNESS_BASE = 900
SYS_CLOSE_RANGE = 436
SYS_PIDFD_GETFD = 438
CLOSE_RANGE_CLOEXEC = 4
PR_SET_CHILD_SUBREAPER = 36
PR_SET_PTRACER = 0x59616D61
PR_SET_PTRACER_ANY = ctypes.c_ulong(-1).value
MAX_MESSAGE = 1 << 16
MAX_FDS = 64

# An answer, and the harness descriptors to send with it (then closed here).
Reply = tuple[dict[str, Any], list[int]]

_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long


class SysError(Exception):
    """A syscall failed: `name` is its errno name (EBADF, ...)."""

    def __init__(self, number: int) -> None:
        super().__init__(number)
        self.name = errno.errorcode.get(number, f"E{number}")


def _check(result: int) -> int:
    if result < 0:
        raise SysError(ctypes.get_errno())
    return result


def identity(fd: int) -> str | None:
    """What a descriptor names, as a trace writes it: `socket:[INODE]`, `pipe:[INODE]`,
    else the device and inode (unique per memfd); None when the number names nothing."""
    try:
        st = os.fstat(fd)
    except OSError:
        return None
    if stat.S_ISSOCK(st.st_mode):
        return f"socket:[{st.st_ino}]"
    if stat.S_ISFIFO(st.st_mode):
        return f"pipe:[{st.st_ino}]"
    return f"file:[{st.st_dev}:{st.st_ino}]"


def high(fd: int) -> int:
    """Move a harness descriptor to HARNESS_BASE or above (inheritable, so it survives
    exec), closing the low number it arrived at."""
    if fd >= HARNESS_BASE:
        return fd
    moved = fcntl.fcntl(fd, fcntl.F_DUPFD, HARNESS_BASE)
    os.close(fd)
    return moved


@contextlib.contextmanager
def _borrowed(fd: int) -> Iterator[socket.socket]:
    """A socket object over a harness descriptor, without a dup (a dup would take a
    program number for the length of the call, and shift what the call allocates)."""
    sock = socket.socket(fileno=fd)
    try:
        yield sock
    finally:
        sock.detach()


def open_fds() -> list[int]:
    """The descriptors open from 3 to HARNESS_BASE - 1, from /proc/self/fd (read in
    full first: the listing's own descriptor is closed when it is checked)."""
    names = [int(n) for n in os.listdir("/proc/self/fd")]
    return sorted(n for n in names if 2 < n < HARNESS_BASE and identity(n) is not None)


class Agent:
    def __init__(self, channel: int, state: dict[str, Any]) -> None:
        self.channel = socket.socket(fileno=channel)
        self.peers: dict[int, int] = {int(k): v for k, v in state.get("peers", {}).items()}
        self.pidfds: dict[int, int] = {int(k): v for k, v in state.get("pidfds", {}).items()}
        tcp = state.get("tcp")
        self.tcp: tuple[str, int] | None = (str(tcp[0]), int(tcp[1])) if tcp else None
        self.unix: str | None = state.get("unix")
        self.names = 0

    def state(self) -> dict[str, Any]:
        return {
            "peers": self.peers,
            "pidfds": self.pidfds,
            "tcp": list(self.tcp) if self.tcp else None,
            "unix": self.unix,
        }

    # -- the channel -------------------------------------------------------------------

    def receive(self) -> tuple[dict[str, Any], list[int]] | None:
        try:
            data, fds, _, _ = socket.recv_fds(self.channel, MAX_MESSAGE, MAX_FDS)
        except ConnectionResetError:
            return None
        if not data:
            return None
        return json.loads(data), [high(fd) for fd in fds]

    def answer(self, reply: dict[str, Any], fds: list[int] | None = None) -> None:
        data = json.dumps(reply).encode()
        if fds:
            socket.send_fds(self.channel, [data], fds)
        else:
            self.channel.send(data)

    def serve(self) -> None:
        while True:
            got = self.receive()
            if got is None:
                os._exit(0)  # the harness is gone
            command, fds = got
            op = command.pop("op")
            handler = getattr(self, "op_" + op, None)
            if handler is None:
                self.answer({"ok": False, "errno": None, "fault": f"unknown op {op!r}"})
                continue
            try:
                reply = handler(fds=fds, **command)
            except SysError as e:
                reply = {"ok": False, "errno": e.name}
            except OSError as e:
                reply = {"ok": False, "errno": errno.errorcode.get(e.errno or 0, str(e.errno))}
            except Exception as e:  # a harness bug: say so rather than die silently
                reply = {"ok": False, "errno": None, "fault": f"{op}: {type(e).__name__}: {e}"}
            if isinstance(reply, tuple):
                self.answer(*reply)
                for fd in reply[1]:
                    os.close(fd)  # handed over: the harness holds its own copy now
            elif reply is not None:
                self.answer(reply)

    # -- harness operations ------------------------------------------------------------

    def op_hello(self, fds: list[int]) -> dict[str, Any]:
        return {"ok": True, "pid": os.getpid(), "fds": open_fds()}

    def op_adopt(self, fds: list[int], peers: list[int], pidfds: list[int]) -> dict[str, Any]:
        """Take the datagram sockets to other agents and their pidfds (in `fds`, in the
        order of `peers` then `pidfds`)."""
        if len(fds) != len(peers) + len(pidfds):
            return {"ok": False, "errno": None, "fault": "adopt: descriptors missing"}
        for pid, fd in zip(peers, fds[: len(peers)], strict=True):
            old = self.peers.pop(pid, None)
            if old is not None:
                os.close(old)
            self.peers[pid] = fd
        for pid, fd in zip(pidfds, fds[len(peers) :], strict=True):
            old = self.pidfds.pop(pid, None)
            if old is not None:
                os.close(old)
            self.pidfds[pid] = fd
        return {"ok": True}

    def op_sockname(self, fds: list[int], fd: int) -> dict[str, Any]:
        """The address a listening socket has, for the harness to connect a peer to."""
        with _borrowed(fd) as s:
            family = int(s.family)
            # Only a TCP listener is worth a peer (a Unix one here is a socketpair end).
            address = s.getsockname() if family == socket.AF_INET else None
            return {"ok": True, "family": family, "address": address}

    def op_fds(self, fds: list[int]) -> dict[str, Any]:
        return {"ok": True, "fds": {str(n): identity(n) for n in open_fds()}}

    # -- the calls under test ------------------------------------------------------------

    def op_socket(self, fds: list[int]) -> dict[str, Any]:
        fd = _check(_libc.socket(socket.AF_INET, socket.SOCK_STREAM, 0))
        return {"ok": True, "value": fd, "ident": identity(fd)}

    def op_socketpair(self, fds: list[int]) -> dict[str, Any]:
        pair = (ctypes.c_int * 2)()
        _check(_libc.socketpair(socket.AF_UNIX, socket.SOCK_STREAM, 0, pair))
        return {"ok": True, "value": list(pair), "idents": [identity(n) for n in pair]}

    def op_open_other(self, fds: list[int]) -> dict[str, Any]:
        """A descriptor that is no socket: a memfd (one descriptor, an inode of its own,
        not close-on-exec with flags 0)."""
        fd = os.memfd_create("wsshare-other", 0)
        return {"ok": True, "value": fd, "ident": identity(fd)}

    def op_close(self, fds: list[int], fd: int) -> dict[str, Any]:
        ident = identity(fd)
        _check(_libc.close(fd))
        return {"ok": True, "ident": ident}

    def op_dup(
        self, fds: list[int], fd: int, to: int | None = None, cloexec: bool = False
    ) -> dict[str, Any]:
        ident = identity(fd)
        if to is None:
            command = fcntl.F_DUPFD_CLOEXEC if cloexec else fcntl.F_DUPFD
            new = _check(_libc.fcntl(fd, command, 0))
        elif cloexec:
            new = _check(_libc.dup3(fd, to, os.O_CLOEXEC))
        else:
            new = _check(_libc.dup2(fd, to))
        return {"ok": True, "value": new, "ident": ident}

    def op_set_cloexec(self, fds: list[int], fd: int, on: bool) -> dict[str, Any]:
        ident = identity(fd)
        _check(_libc.fcntl(fd, fcntl.F_SETFD, fcntl.FD_CLOEXEC if on else 0))
        return {"ok": True, "ident": ident}

    def op_close_range(
        self, fds: list[int], low: int, high: int, cloexec: bool = False
    ) -> dict[str, Any]:
        if high >= HARNESS_BASE:
            return {"ok": False, "errno": None, "fault": "close_range over harness descriptors"}
        flags = CLOSE_RANGE_CLOEXEC if cloexec else 0
        _check(_libc.syscall(SYS_CLOSE_RANGE, low, high, flags))
        return {"ok": True}

    def op_fork(self, fds: list[int]) -> Reply | None:
        """A real fork: the child's table is the kernel's copy of ours. The child gets a
        new channel made before the fork; the harness end goes back with the answer."""
        a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        mine, theirs = high(a.detach()), high(b.detach())
        pid = os.fork()
        if pid == 0:
            # The child: our harness descriptors are the parent's; the harness sends the
            # child its own once it knows the pid.
            for fd in [self.channel.detach(), mine, *self.peers.values(), *self.pidfds.values()]:
                os.close(fd)
            self.channel = socket.socket(fileno=theirs)
            self.peers, self.pidfds = {}, {}
            self.answer({"ok": True, "pid": os.getpid(), "fds": open_fds()})
            return None
        os.close(theirs)
        # The harness end travels with the answer; ours is closed once it is sent.
        return {"ok": True, "child": pid}, [mine]

    def op_exec(self, fds: list[int]) -> None:
        """execve of the agent itself: the kernel closes the close-on-exec descriptors;
        the new image answers, listing the descriptors it found open."""
        channel = self.channel.detach()
        argv = [sys.executable, "-S", os.path.abspath(__file__), str(channel)]
        argv += [json.dumps(self.state()), "--after-exec"]
        try:
            os.execv(sys.executable, argv)
        except OSError as e:
            self.channel = socket.socket(fileno=channel)
            raise e

    def op_send_fds(self, fds: list[int], to: int, handles: list[int]) -> dict[str, Any]:
        idents = [identity(h) for h in handles]
        # (socket.send_fds and recv_fds of Python 3.11 drop their flags argument.)
        rights = [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", handles))]
        with _borrowed(self.peers[to]) as sock:
            sock.sendmsg([b"m"], rights, socket.MSG_DONTWAIT)
        return {"ok": True, "idents": idents}

    def op_recv_fds(self, fds: list[int], sender: int, cloexec: bool = False) -> dict[str, Any]:
        flags = socket.MSG_DONTWAIT | (socket.MSG_CMSG_CLOEXEC if cloexec else 0)
        got = array.array("i")
        with _borrowed(self.peers[sender]) as sock:
            _, ancillary, _, _ = sock.recvmsg(16, socket.CMSG_LEN(MAX_FDS * got.itemsize), flags)
        for level, kind, data in ancillary:
            if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                got.frombytes(data[: len(data) - len(data) % got.itemsize])
        return {"ok": True, "value": list(got), "idents": [identity(n) for n in got]}

    def op_pidfd_getfd(self, fds: list[int], source: int, fd: int) -> dict[str, Any]:
        pidfd = self.pidfds.get(source)
        if pidfd is None:
            return {"ok": False, "errno": None, "fault": f"no pidfd for pid {source}"}
        new = _check(_libc.syscall(SYS_PIDFD_GETFD, pidfd, fd, 0))
        return {"ok": True, "value": new, "ident": identity(new)}

    def _family(self, fd: int) -> int:
        """The socket's address family, AF_INET when the number is no socket (the call
        itself then fails with the kernel's EBADF or ENOTSOCK)."""
        value = ctypes.c_int(0)
        size = ctypes.c_uint(ctypes.sizeof(value))
        found = _libc.getsockopt(
            fd, socket.SOL_SOCKET, socket.SO_DOMAIN, ctypes.byref(value), ctypes.byref(size)
        )
        if found < 0:
            return socket.AF_INET
        return value.value

    def _address(self, family: int, target: str) -> bytes:
        """A sockaddr: for binding, loopback port 0 or a fresh abstract Unix name; for
        connecting, the harness's listener of that family."""
        if family == socket.AF_UNIX:
            if target == "bind":
                self.names += 1
                name = f"\0wsshare-{os.getpid()}-{self.names}".encode()
            else:
                name = (self.unix or "\0wsshare-none").encode()
            return socket.AF_UNIX.to_bytes(2, sys.byteorder) + name
        host, port = ("127.0.0.1", 0) if target == "bind" or self.tcp is None else self.tcp
        return (
            socket.AF_INET.to_bytes(2, sys.byteorder)
            + port.to_bytes(2, "big")
            + socket.inet_aton(host)
            + bytes(8)
        )

    def op_bind(self, fds: list[int], fd: int) -> dict[str, Any]:
        ident = identity(fd)
        addr = self._address(self._family(fd), "bind")
        _check(_libc.bind(fd, addr, len(addr)))
        return {"ok": True, "ident": ident}

    def op_listen(self, fds: list[int], fd: int) -> dict[str, Any]:
        ident = identity(fd)
        _check(_libc.listen(fd, 16))
        return {"ok": True, "ident": ident}

    def op_connect(self, fds: list[int], fd: int) -> dict[str, Any]:
        ident = identity(fd)
        addr = self._address(self._family(fd), "connect")
        _check(_libc.connect(fd, addr, len(addr)))
        return {"ok": True, "ident": ident}

    def op_accept(self, fds: list[int], fd: int) -> dict[str, Any]:
        """accept on the listener made nonblocking for the call (so an empty queue is
        EAGAIN, not a hang), its flags restored after."""
        ident = identity(fd)
        flags = _check(_libc.fcntl(fd, fcntl.F_GETFL, 0))
        _check(_libc.fcntl(fd, fcntl.F_SETFL, flags | os.O_NONBLOCK))
        try:
            new = _libc.accept4(fd, None, None, 0)
            number = ctypes.get_errno()
        finally:
            _libc.fcntl(fd, fcntl.F_SETFL, flags)
        if new < 0:
            return {"ok": False, "errno": errno.errorcode.get(number, str(number)), "ident": ident}
        return {"ok": True, "value": new, "ident": identity(new)}

    def op_exit(self, fds: list[int]) -> None:
        self.answer({"ok": True})
        os._exit(0)


def main(argv: list[str]) -> None:
    if len(argv) < 2:
        sys.exit("usage: agent.py CHANNEL_FD [STATE_JSON] [--after-exec|--zygote]")
    channel = high(int(argv[1]))
    state = json.loads(argv[2]) if len(argv) > 2 else {}
    # Forked children are reaped by the kernel at exit, so a process that exited is gone
    # (pidfd_getfd then says ESRCH, as the model; a zombie would say EBADF).
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    # Under Yama's ptrace_scope 1 only ancestors may pidfd_getfd; agents are siblings.
    _libc.prctl(PR_SET_PTRACER, PR_SET_PTRACER_ANY, 0, 0, 0)
    if "--zygote" in argv:
        # Agents whose parent exited are reparented here and reaped (SIGCHLD ignored).
        _libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    agent = Agent(channel, state)
    if "--after-exec" in argv:
        agent.answer({"ok": True, "pid": os.getpid(), "fds": open_fds()})
    agent.serve()


if __name__ == "__main__":
    main(sys.argv)

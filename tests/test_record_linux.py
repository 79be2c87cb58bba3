"""Live recordings under strace: `wsshare record linux` on a small Python program that
passes a socket with SCM_RIGHTS, and re-recordings of programs of the real corpus
(traces/real/linux) whose verdicts must be the ones its manifest states.

Recordings go to tmp_path; the committed corpus is never rewritten here. Without strace
(or a corpus program) the tests skip locally and fail under CI=true, both saying what to
install.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from wsshare.conformance.checking.engine import check_file
from wsshare.conformance.checking.runner import load_manifest
from wsshare.conformance.cli.commands import main
from wsshare.conformance.drivers.linux.record import INSTALL_HINT, StraceUnavailable, record
from wsshare.conformance.trace import TraceReader
from wsshare.model import get_profile

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "traces" / "real" / "linux"

# The interpreter itself: a shim in front of it (pyenv) would add its own processes.
PYTHON = os.path.realpath(sys.executable)

# A source that creates a listener, hands it to its child over a socketpair with
# SCM_RIGHTS and closes its own copy at once (the message in flight keeps the socket
# alive); the child accepts the parent's connection through the received descriptor.
HANDOFF = """\
import os, socket
parent_end, child_end = socket.socketpair()
listener = socket.create_server(("127.0.0.1", 0))
port = listener.getsockname()[1]
pid = os.fork()
if pid == 0:
    parent_end.close()
    _, fds, _, _ = socket.recv_fds(child_end, 16, 1)
    got = socket.socket(fileno=fds[0])
    conn, _ = got.accept()
    conn.sendall(b"ok")
    conn.close()
    got.close()
    os._exit(0)
child_end.close()
socket.send_fds(parent_end, [b"x"], [listener.fileno()])
listener.close()
client = socket.create_connection(("127.0.0.1", port))
assert client.recv(2) == b"ok"
client.close()
os.waitpid(pid, 0)
"""


@pytest.fixture(scope="module")
def strace(unavailable) -> str:
    found = shutil.which("strace")
    if found is None:
        unavailable(f"strace not found; {INSTALL_HINT}")
    return found


def test_missing_strace_says_how_to_install(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(StraceUnavailable) as caught:
        record(["true"], tmp_path / "t.jsonl")
    assert INSTALL_HINT in str(caught.value)
    assert main(["record", "linux", "-o", str(tmp_path / "t.jsonl"), "--", "true"]) == 2
    assert INSTALL_HINT in capsys.readouterr().err


def test_record_a_python_handoff(strace, tmp_path):
    program = tmp_path / "handoff.py"
    program.write_text(HANDOFF)
    out = tmp_path / "handoff.jsonl"
    assert main(["record", "linux", "-o", str(out), "--", PYTHON, str(program)]) == 0
    lines = out.read_text().splitlines()
    header = json.loads(lines[0])
    assert header["implementation"] == "linux"
    assert header["recorder"].startswith("strace ") and "wsshare record linux" in header["recorder"]
    events = [json.loads(line) for line in lines[1:]]
    sends = [e for e in events if e["call"] == "send_fds"]
    recvs = [e for e in events if e["call"] == "recv_fds"]
    assert len(sends) == 1 and len(recvs) == 1
    parent, child = sends[0]["pid"], recvs[0]["pid"]
    assert sends[0]["args"]["to"] == child and recvs[0]["args"]["sender"] == parent
    # The same inode on both sides: the identity survives the trip.
    assert sends[0]["sockets"] == recvs[0]["sockets"]
    assert sends[0]["sockets"][0].startswith("socket:[")
    assert {"fork", "accept", "close", "process_exit"} <= {e["call"] for e in events}
    # No machine-specific path reaches the trace.
    assert str(tmp_path) not in out.read_text()
    result = check_file(str(out), get_profile("linux-scm-rights"))
    assert result.verdict == "conforms", result


# glibc's resolver in sshd, cut down: one UDP socket connected to several name servers
# in turn, with a connect to AF_UNSPEC (which dissolves the association) between them.
RESOLVER = """\
import ctypes, errno, socket
libc = ctypes.CDLL(None, use_errno=True)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.connect(("127.0.0.1", 53))
s.connect(("127.0.0.2", 53))
assert libc.connect(s.fileno(), bytes(16), 16) == 0  # sa_family 0: AF_UNSPEC
s.connect(("127.0.0.3", 53))
try:
    s.listen(1)
except OSError as e:
    assert e.errno == errno.EOPNOTSUPP
a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
s.close()
"""


def test_record_a_udp_socket_that_reconnects(strace, tmp_path):
    program = tmp_path / "resolver.py"
    program.write_text(RESOLVER)
    out = tmp_path / "resolver.jsonl"
    assert main(["record", "linux", "-o", str(out), "--", PYTHON, str(program)]) == 0
    events = [json.loads(line) for line in out.read_text().splitlines()[1:]]
    assert [e["args"] for e in events if e["call"] in ("socket", "socketpair")] == [
        {"type": "dgram"},
        {"type": "dgram"},
    ]
    connects = [e for e in events if e["call"] == "connect"]
    assert [bool(e["args"].get("unspec")) for e in connects] == [False, False, True, False]
    assert all(e["result"] == "ok" for e in connects)
    # "violates L12" (EISCONN at the second connect) before sockets had a type.
    result = check_file(str(out), get_profile("linux-scm-rights"))
    assert result.verdict == "conforms", result.violation
    assert "L13" in result.rules_exercised


# CPython multiprocessing handing two sockets to one worker over two Pipe()s (send_handle,
# SCM_RIGHTS); the worker reads the second pipe first.
TWO_PIPES = """\
import multiprocessing as mp, socket
from multiprocessing import reduction

def worker(first, second):
    b = socket.socket(fileno=reduction.recv_handle(second))
    a = socket.socket(fileno=reduction.recv_handle(first))
    a.close()
    b.close()

if __name__ == "__main__":
    ctx = mp.get_context("fork")
    ours1, theirs1 = ctx.Pipe()
    ours2, theirs2 = ctx.Pipe()
    a, b = socket.socket(), socket.socket()
    p = ctx.Process(target=worker, args=(theirs1, theirs2))
    p.start()
    reduction.send_handle(ours1, a.fileno(), p.pid)
    reduction.send_handle(ours2, b.fileno(), p.pid)
    a.close()
    b.close()
    p.join()
    assert p.exitcode == 0
"""


def test_record_two_connections_between_the_same_processes(strace, tmp_path):
    program = tmp_path / "two_pipes.py"
    program.write_text(TWO_PIPES)
    out = tmp_path / "two_pipes.jsonl"
    assert main(["record", "linux", "-o", str(out), "--", PYTHON, str(program)]) == 0
    events = [json.loads(line) for line in out.read_text().splitlines()[1:]]
    sends = [e for e in events if e["call"] == "send_fds"]
    recvs = [e for e in events if e["call"] == "recv_fds"]
    assert len(sends) == len(recvs) == 2
    # Each message's two events name its queue, and the two queues differ.
    assert {e["channel"] for e in sends} == {e["channel"] for e in recvs}
    assert sends[0]["channel"] != sends[1]["channel"]
    assert recvs[0]["sockets"] == sends[1]["sockets"]  # the second pipe read first
    # "violates R26, L1, L8" with one queue per pair of processes.
    result = check_file(str(out), get_profile("linux-scm-rights"))
    assert result.verdict == "conforms", result.violation


# A file from open() (openat is not traced, so the importer cannot track it) handed to a
# child with SCM_RIGHTS, as sshd hands its ptys over.
UNTRACKED = """\
import os, socket
parent_end, child_end = socket.socketpair()
pid = os.fork()
if pid == 0:
    _, fds, _, _ = socket.recv_fds(child_end, 16, 1)
    os._exit(0 if len(fds) == 1 else 1)
f = open(os.devnull, "rb")
socket.send_fds(parent_end, [b"x"], [f.fileno()])
assert os.waitpid(pid, 0)[1] == 0
"""


def test_a_message_of_untracked_descriptors_is_counted(strace, tmp_path, capsys):
    program = tmp_path / "untracked.py"
    program.write_text(UNTRACKED)
    out = tmp_path / "untracked.jsonl"
    assert main(["record", "linux", "-o", str(out), "--", PYTHON, str(program)]) == 0
    err = capsys.readouterr().err
    # Before, the message vanished and "conforms" said nothing of it.
    assert "1 SCM_RIGHTS message(s) carried only descriptors whose origin" in err
    assert f"({os.devnull})" in err
    events = [json.loads(line) for line in out.read_text().splitlines()[1:]]
    assert not any(e["call"] in ("send_fds", "recv_fds") for e in events)


# A parent that forks a child and sleeps; the child leaves strace's session and process
# group and ignores SIGTERM, so only a stop that finds what strace traces reaches it.
HANGS = """\
import os, signal, socket, sys, time
s = socket.socket()
pid = os.fork()
if pid == 0:
    os.setsid()
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    time.sleep(1000)
    os._exit(0)
s.close()
with open(sys.argv[1], "w") as f:
    f.write(f"{os.getpid()} {pid}")
time.sleep(1000)
"""


def _running(pid: int) -> bool:
    """Whether `pid` is a process that has not exited (a zombie has: only its parent's
    wait is missing)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def test_a_command_that_hangs_is_stopped_with_its_children_and_partly_recorded(
    strace, tmp_path, capsys
):
    program, pids = tmp_path / "hangs.py", tmp_path / "pids"
    program.write_text(HANGS)
    out = tmp_path / "t.jsonl"
    argv = ["record", "linux", "--timeout", "2", "-o", str(out), "--"]
    start = time.perf_counter()
    try:
        assert main([*argv, PYTHON, str(program), str(pids)]) == 2
        assert time.perf_counter() - start < 15
        parent, child = (int(p) for p in pids.read_text().split())
        # Killed processes disappear once reaped, which may take their new parent a
        # moment.
        deadline = time.monotonic() + 5
        while (_running(parent) or _running(child)) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _running(parent) and not _running(child)
    finally:
        for pid in [int(p) for p in pids.read_text().split()] if pids.exists() else []:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
    err = capsys.readouterr().err
    assert "did not finish within 2 s" in err and "is a PARTIAL trace" in err
    with TraceReader(out) as reader:
        assert "PARTIAL" in reader.header.recorder
        events = [line.event for line in reader]
    # What happened before the timeout is there, then the stop's exits (in either order).
    calls = [(e.pid, e.call) for e in events]
    assert calls[-4:-2] == [(parent, "fork"), (parent, "close")]
    assert set(calls[-2:]) == {(parent, "process_exit"), (child, "process_exit")}
    assert events[-3].socket == next(e.socket for e in events if e.call == "socket")
    assert check_file(str(out), get_profile("linux-scm-rights")).verdict == "conforms"


# Programs re-recorded live: quick ones (under a few seconds each), and between them
# they cover fork+exec inheritance (systemd-socket-activate) and an SCM_RIGHTS handoff
# made by a program nobody here wrote (CPython's resource_sharer).
LIVE = {
    "systemd-socket-activate": "systemd-socket-activate",
    "multiprocessing-pool": None,
}


@pytest.mark.parametrize("program", sorted(LIVE))
def test_rerecorded_program_gets_the_manifest_verdicts(strace, tmp_path, program, unavailable):
    needed = LIVE[program]
    if (
        needed is not None
        and shutil.which(needed, path=os.environ["PATH"] + ":/usr/sbin:/sbin") is None
    ):
        unavailable(f"{needed} not found; install it: apt-get install -y systemd")
    manifest = load_manifest(CORPUS / "manifest.json")
    entry = next(t for t in manifest.traces if t.file == f"{program}.jsonl")
    # The wsshare of this interpreter's environment, if it has one; else the one on PATH.
    beside = Path(sys.executable).parent / "wsshare"
    env = {**os.environ, "PYTHON": PYTHON}
    if beside.exists():
        env["WSSHARE"] = str(beside)
    proc = subprocess.run(
        [str(CORPUS / "record" / program), str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    trace = tmp_path / entry.file
    for profile, expected in entry.expect.items():
        result = check_file(str(trace), get_profile(profile))
        assert result.verdict == expected.verdict, (profile, result)
        if expected.verdict == "violates":
            assert sorted(result.rule_ids) == sorted(expected.rules), (profile, result)

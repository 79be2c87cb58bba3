"""`wsshare import wine-relay`: Wine relay logs of an unmodified program as traces.

The fast tests read tests/data/wine-relay-handoff.log, an excerpt of a relay log made
here by `record_relay_log` below (two agent.exe processes run under
WINEDEBUG=+pid,+relay, driven by a fixed command script; the agent's JSON answers are not
used, only Wine's log), and small hand-written logs, one per kind of call the importer
treats apart, each checked to the verdict it deserves. The live tests make fresh logs the
same way: the handoff, which must import to the fixture's verdicts, and FIONBIO with a
recv that would block. Without Wine the live tests skip locally and fail under CI=true.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from wsshare.conformance.checking.engine import check_file
from wsshare.conformance.drivers.wine import harness
from wsshare.conformance.drivers.wine.harness import WineUnavailable
from wsshare.conformance.importers.wine_relay import (
    END_OF_STREAM,
    MAYBE_PENDING,
    NOT_MODELLED,
    PENDING,
    ImportFailed,
    RelayImporter,
    Summary,
    header,
    import_log,
)
from wsshare.conformance.trace import TraceWriter
from wsshare.model import get_profile

DATA = Path(__file__).resolve().parent / "data"
FIXTURE = DATA / "wine-relay-handoff.log"
RELAY_INCLUDE = "ws2_32.*;kernel32.CreateProcessW;kernel32.ExitProcess"

# The handoff with a reused info and a double close, as the fixture's program runs it:
# documented breaks R2/R3 at the second WSASocket with the info (event 5; R48 too, since
# without a digest the bytes might also have been no info at all); wine-8.0 accepts
# everything, the second close of the reused value included.
EXPECTED = {
    "documented": ("violates", ["R2", "R3", "R48"], 5),
    "wine-8.0": ("conforms", [], None),
}


def _verdicts(trace: Path) -> dict[str, tuple[str, list[str], int | None]]:
    found = {}
    for name in EXPECTED:
        r = check_file(str(trace), get_profile(name))
        found[name] = (r.verdict, sorted(r.rule_ids), r.event_index)
    return found


def test_the_fixture_imports_to_the_expected_verdicts(tmp_path):
    out = tmp_path / "handoff.jsonl"
    summary = import_log(FIXTURE, out)
    assert summary.events == 11, summary.line()
    assert _verdicts(out) == EXPECTED
    lines = out.read_text().splitlines()
    # Info identity is inferred, not read: the mint is named, the uses carry no digest.
    assert '"info_digest":"relay:' in lines[4]
    assert all("info_digest" not in line for line in lines[5:7])


def test_the_cli_writes_the_trace_and_a_summary(run_wsshare, tmp_path):
    out = tmp_path / "t.jsonl"
    proc = run_wsshare("import", "wine-relay", str(FIXTURE), "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    assert "11 events" in proc.stderr
    check = run_wsshare("check", "--profile", "wine-8.0", str(out))
    assert check.returncode == 0, check.stdout
    check = run_wsshare("check", "--profile", "documented", str(out))
    assert check.returncode == 1 and "violates R2, R3, R48 at event 5" in check.stdout


def test_help_says_how_info_identity_is_inferred(run_wsshare):
    proc = run_wsshare("import", "wine-relay", "--help")
    assert proc.returncode == 0
    text = " ".join(proc.stdout.split())
    assert "checker tries every info minted so far" in text
    assert "RelayInclude" in text


@pytest.mark.parametrize(
    ("mutate", "where", "message"),
    [
        (
            lambda lines: [*lines[:20], "0118:011c:Ret  ws2_32.closesocket() retval=zz ret=1\n"],
            ":21: retval:",
            "'zz' is not a hex number",
        ),
        (
            lambda lines: [
                line.replace(
                    "Call ws2_32.WSADuplicateSocketW(00000030",
                    "Call ws2_32.WSADuplicateSocketW(0x3g",
                )
                for line in lines
            ],
            ": args[0]:",
            "is not a hex number",
        ),
        (
            lambda lines: ["0118:011c:Ret  ws2_32.closesocket() retval=00000000 ret=1\n"],
            ":1: func:",
            "no Ret (no call is open)",
        ),
        (lambda lines: ["hello\n", "world\n"], ": ", "no ws2_32 calls in the log"),
        (
            lambda lines: ["0118:011c:Call ws2_32.closesocket(00000030\n"],
            ":1: line:",
            "cannot be read",
        ),
    ],
)
def test_bad_input_names_file_line_and_field_and_exits_2(
    run_wsshare, tmp_path, mutate, where, message
):
    lines = FIXTURE.read_text().splitlines(keepends=True)
    bad = tmp_path / "bad.log"
    bad.write_text("".join(mutate(lines)))
    with pytest.raises(ImportFailed) as caught:
        import_log(bad, tmp_path / "bad.jsonl")
    assert message in str(caught.value)
    proc = run_wsshare("import", "wine-relay", str(bad), "-o", str(tmp_path / "x.jsonl"))
    assert proc.returncode == 2
    assert proc.stderr.startswith(f"wsshare: error: {bad}"), proc.stderr
    assert where in proc.stderr and message in proc.stderr
    assert "Traceback" not in proc.stderr


def test_a_missing_log_is_a_clear_error(run_wsshare, tmp_path):
    proc = run_wsshare("import", "wine-relay", str(tmp_path / "none.log"))
    assert proc.returncode == 2
    assert "cannot open" in proc.stderr and "Traceback" not in proc.stderr


def test_a_large_log_streams(tmp_path):
    """Events are written while the log is still being read (nothing accumulates), on
    50,000 lines: the fixture's calls repeated by fresh processes."""
    body = [line.encode() for line in FIXTURE.read_text().splitlines(keepends=True)]
    copies = 50_000 // len(body) + 1
    written_midway: list[int] = []

    def lines():
        for i in range(copies):
            if i == copies // 2:
                written_midway.append(importer.summary.events)
            # Each copy runs as other processes, so copies do not interact.
            prefix = f"{0x10000 * (i + 1):x}".encode()
            for line in body:
                yield prefix + line[4:] if line[:4] in (b"0020", b"0028") else line

    out = tmp_path / "big.jsonl"
    with TraceWriter(out, header(FIXTURE)) as writer:
        importer = RelayImporter("big.log", writer)
        summary = importer.run(lines())  # type: ignore[arg-type]
    assert summary.lines >= 50_000 and summary.events == 11 * copies
    # Half way through, the first half's events were already out: held at most a few.
    assert written_midway[0] >= 11 * (copies // 2) - 2
    assert sum(1 for _ in out.open()) == summary.events + 1


# -- hand-written logs: what each kind of call becomes -----------------------------------------

P1, T1 = 0x20, 0x24  # the program's process and main thread
T2 = 0x28  # a second thread of it


def call(func: str, *args: int, tid: int = T1, pid: int = P1) -> str:
    words = ",".join(f"{a:08x}" for a in args)
    return f"{pid:04x}:{tid:04x}:Call ws2_32.{func}({words}) ret=140001000\n"


def ret(func: str, retval: int, tid: int = T1, pid: int = P1) -> str:
    return f"{pid:04x}:{tid:04x}:Ret  ws2_32.{func}() retval={retval:08x} ret=140001000\n"


def done(func: str, retval: int, *args: int, tid: int = T1, pid: int = P1) -> str:
    """A call and its return on one thread, nothing in between."""
    return call(func, *args, tid=tid, pid=pid) + ret(func, retval, tid=tid, pid=pid)


def read_error(code: int, tid: int = T1) -> str:
    return done("WSAGetLastError", code, tid=tid)


def exit_process(pid: int = P1) -> str:
    return f"{pid:04x}:{T1:04x}:Call KERNEL32.ExitProcess(00000000) ret=14000258c\n"


SOCKET_ERROR = 0xFFFFFFFF
S, S2 = 0x30, 0x38  # handle values
BUF, OVERLAPPED = 0x21DD00, 0x21DE00  # pointers
FIONBIO, FIONREAD = 0x8004667E, 0x4004667F
WOULDBLOCK, CONNRESET, NOTSOCK, IO_PENDING = 10035, 10054, 10038, 997
# WSAStartup, a TCP socket, connected: the start of every log below.
CONNECTED = (
    done("WSAStartup", 0, 0x202, BUF)
    + done("WSASocketW", S, 2, 1, 6, 0, 0, 0x81)
    + done("connect", 0, S, BUF, 16)
)


def imported(tmp_path: Path, log: str) -> tuple[list[dict[str, Any]], Summary, Path]:
    """Import `log`: its events, the summary, and the trace's path."""
    source = tmp_path / "relay.log"
    source.write_text(log)
    out = tmp_path / "relay.jsonl"
    summary = import_log(source, out)
    events = [json.loads(line) for line in out.read_text().splitlines()[1:]]
    # Every ws2_32 call is accounted for: an event, an error read, or left out.
    left = sum(sum(v.values()) for v in summary.left_out.values())
    assert summary.calls == summary.imported + summary.errors_read + left, summary.line()
    return events, summary, out


def verdicts(trace: Path) -> dict[str, tuple[str, int | None]]:
    found = {}
    for name in ("documented", "wine-8.0"):
        r = check_file(str(trace), get_profile(name))
        found[name] = (r.verdict, r.event_index)
    return found


BOTH_CONFORM = {"documented": ("conforms", None), "wine-8.0": ("conforms", None)}


def test_wsarecv_and_wsasend_succeed_with_0(tmp_path):
    # WSARecv/WSASend return 0 on success, not a byte count: the old importer took a
    # successful WSARecv for the end of the stream and left it out.
    log = (
        CONNECTED
        + done("WSASend", 0, S, BUF, 1, BUF, 0, 0, 0)
        + done("WSARecv", 0, S, BUF, 1, BUF, BUF, 0, 0)
    )
    events, summary, out = imported(tmp_path, log)
    assert [(e["call"], e["result"], e.get("value")) for e in events[3:]] == [
        ("send", "ok", None),
        ("recv", "ok", "data"),
    ]
    assert summary.left_out == {}
    assert verdicts(out) == BOTH_CONFORM


def test_a_failed_wsarecv_takes_the_next_wsagetlasterror(tmp_path):
    log = CONNECTED + done("WSARecv", SOCKET_ERROR, S, BUF, 1, BUF, BUF, 0, 0)
    log += read_error(CONNRESET)
    events, _, _ = imported(tmp_path, log)
    assert events[3] == {
        "seq": 3,
        "pid": P1,
        "tid": T1,
        "call": "recv",
        "args": {"handle": S},
        "result": "error",
        "error": "WSAECONNRESET",
    }


def test_an_overlapped_operation_in_progress_is_left_out_and_counted(tmp_path):
    # WSA_IO_PENDING: the operation started; its completion is not in the log, and the
    # model has no overlapped I/O. Kept as an error, it would be a violation (R28).
    log = CONNECTED
    log += done("WSARecv", SOCKET_ERROR, S, BUF, 1, 0, BUF, OVERLAPPED, 0) + read_error(IO_PENDING)
    log += done("WSASend", SOCKET_ERROR, S, BUF, 1, 0, 0, OVERLAPPED, 0) + read_error(IO_PENDING)
    # An overlapped call whose error is never read may have been pending too.
    log += done("WSASend", SOCKET_ERROR, S, BUF, 1, 0, 0, OVERLAPPED, 0)
    log += done("closesocket", 0, S)
    events, summary, out = imported(tmp_path, log)
    assert [e["call"] for e in events] == ["WSAStartup", "WSASocket", "connect", "closesocket"]
    assert summary.left_out == {
        PENDING: {"WSARecv": 1, "WSASend": 1},
        MAYBE_PENDING: {"WSASend": 1},
    }
    assert summary.unread_errors == 0
    line = summary.line()
    assert (
        "left out, overlapped, pending: completion not in the log: WSARecv x1, WSASend x1" in line
    )
    assert verdicts(out) == BOTH_CONFORM


def test_a_plain_recv_of_0_bytes_is_the_peers_end_of_stream(tmp_path):
    log = CONNECTED + done("recv", 0, S, BUF, 0x1000, 0) + done("recv", 7, S, BUF, 0x1000, 0)
    events, summary, _ = imported(tmp_path, log)
    assert [(e["call"], e.get("value")) for e in events[3:]] == [("recv", "data")]
    assert summary.left_out == {END_OF_STREAM: {"recv": 1}}


def test_fionbio_is_imported_with_its_mode_unobserved(tmp_path):
    # The mode is behind argp: null, and the checker tries both. Without the event, the
    # WSAEWOULDBLOCK of a recv on a blocking socket was a violation.
    log = CONNECTED + done("ioctlsocket", 0, S, FIONBIO, BUF)
    log += done("recv", SOCKET_ERROR, S, BUF, 0x1000, 0) + read_error(WOULDBLOCK)
    events, summary, out = imported(tmp_path, log)
    assert events[3]["call"] == "ioctlsocket_fionbio"
    assert events[3]["args"] == {"handle": S, "nonblocking": None}
    assert events[4]["error"] == "WSAEWOULDBLOCK"
    assert summary.left_out == {}
    assert verdicts(out) == BOTH_CONFORM
    # The same recv with no FIONBIO before it: the socket blocks, so the model cannot
    # explain WSAEWOULDBLOCK.
    bare = tmp_path / "bare"
    bare.mkdir()
    log = CONNECTED + done("recv", SOCKET_ERROR, S, BUF, 0x1000, 0) + read_error(WOULDBLOCK)
    _, _, out = imported(bare, log)
    assert verdicts(out)["documented"] == ("violates", 3)


def test_wsaioctl_fionbio_sets_the_mode_as_ioctlsocket_does(tmp_path):
    # WSAIoctl(s, FIONBIO, &mode, 4, NULL, 0, &bytes, NULL, NULL) left out would make the
    # recv's WSAEWOULDBLOCK a violation the program did not commit.
    log = CONNECTED + done("WSAIoctl", 0, S, FIONBIO, BUF, 4, 0, 0, BUF, 0, 0)
    log += done("recv", SOCKET_ERROR, S, BUF, 0x1000, 0) + read_error(WOULDBLOCK)
    events, summary, out = imported(tmp_path, log)
    assert events[3]["call"] == "ioctlsocket_fionbio"
    assert events[3]["args"] == {"handle": S, "nonblocking": None}
    assert summary.left_out == {}
    assert verdicts(out) == BOTH_CONFORM


def test_other_ioctls_are_left_out_by_name_and_command(tmp_path):
    log = CONNECTED
    log += done("ioctlsocket", 0, S, FIONREAD, BUF)
    log += done("ioctlsocket", SOCKET_ERROR, S, 0x1234, BUF) + read_error(10022)
    log += done("WSAIoctl", 0, S, 0xC8000006, BUF, 16, BUF, 8, BUF, 0, 0)
    log += done("WSAIoctl", 0, S, 0xC8000006, BUF, 16, BUF, 8, BUF, 0, 0)
    events, summary, _ = imported(tmp_path, log)
    assert len(events) == 3
    assert summary.left_out == {
        NOT_MODELLED: {
            "ioctlsocket FIONREAD": 1,
            "ioctlsocket 0x00001234": 1,
            "WSAIoctl SIO_GET_EXTENSION_FUNCTION_POINTER": 2,
        }
    }
    assert "WSAIoctl SIO_GET_EXTENSION_FUNCTION_POINTER x2" in summary.line()


@pytest.mark.parametrize(
    ("closed_first", "expected"),
    [
        # The handle is open: closesocket succeeds in both profiles, so a failure breaks
        # the model, read or not.
        (False, {"documented": ("violates", 3), "wine-8.0": ("violates", 3)}),
        # Closed already: WSAENOTSOCK, which the unread failure matches.
        (True, BOTH_CONFORM),
    ],
)
def test_a_failure_whose_error_is_never_read_is_kept_as_failed(tmp_path, closed_first, expected):
    # PostgreSQL's backends close their inherited handles and never read the error; the
    # next call on the thread says the error will never be read.
    log = CONNECTED + (done("closesocket", 0, S) if closed_first else "")
    log += done("closesocket", SOCKET_ERROR, S)
    log += done("WSACleanup", 0)
    events, summary, out = imported(tmp_path, log)
    unread = events[-2]
    assert (unread["call"], unread["result"]) == ("closesocket", "failed")
    assert "error" not in unread
    assert summary.unread_errors == 1
    assert "1 failed call(s) whose error the program never read, kept as 'failed'" in summary.line()
    index = len(events) - 2
    assert verdicts(out) == {
        k: (v, index if v == "violates" else None) for k, (v, _) in expected.items()
    }


def test_an_unread_failure_at_the_end_of_the_log_or_at_exit_is_kept_too(tmp_path):
    log = CONNECTED + done("closesocket", 0, S) + done("closesocket", SOCKET_ERROR, S)
    log += exit_process()
    events, summary, _ = imported(tmp_path, log)
    assert [(e["call"], e["result"]) for e in events[-2:]] == [
        ("closesocket", "failed"),
        ("process_exit", "ok"),
    ]
    log = CONNECTED + done("closesocket", SOCKET_ERROR, S2)  # the log ends here
    events, summary, _ = imported(tmp_path, log)
    assert events[-1]["result"] == "failed" and summary.unread_errors == 1


def test_a_call_with_no_ret_is_a_call_event_where_no_more_can_come(tmp_path):
    # Thread 2 blocks in accept and thread 1 in recv; the process exits with both inside
    # (its own thread's recv is cut short by the exit too); a recv of another process
    # is still open when the log ends.
    other = 0x40
    log = CONNECTED + done("WSASocketW", S2, 2, 1, 6, 0, 0, 0x81)
    log += done("bind", 0, S2, BUF, 16) + done("listen", 0, S2, 8)
    log += call("accept", S2, 0, 0, tid=T2)
    log += call("recv", S, BUF, 0x1000, 0)
    log += exit_process()
    log += done("WSAStartup", 0, 0x202, BUF, pid=other, tid=0x44)
    log += done("WSASocketW", S, 2, 1, 6, 0, 0, 0x81, pid=other, tid=0x44)
    log += done("connect", 0, S, BUF, 16, pid=other, tid=0x44)
    log += call("recv", S, BUF, 0x1000, 0, pid=other, tid=0x44)
    events, summary, out = imported(tmp_path, log)
    tail = [(e["pid"], e["call"], e.get("phase", "complete")) for e in events[6:]]
    assert tail == [
        (P1, "accept", "call"),
        (P1, "recv", "call"),
        (P1, "process_exit", "complete"),
        (other, "WSAStartup", "complete"),
        (other, "WSASocket", "complete"),
        (other, "connect", "complete"),
        (other, "recv", "call"),
    ]
    assert "result" not in events[6] and events[6]["args"] == {"handle": S2}
    assert summary.unreturned == {"accept": [13], "recv": [14, 22]}
    assert (
        "no Ret in the log, kept as 'call' events: accept x1 (line 13), recv x2 (lines 14, 22)"
        in (summary.line())
    )
    assert verdicts(out) == BOTH_CONFORM


def test_a_blocked_recv_announced_before_the_end_is_written_once(tmp_path):
    log = CONNECTED + call("recv", S, BUF, 0x1000, 0, tid=T2)
    log += done("WSASocketW", S2, 2, 1, 6, 0, 0, 0x81)  # another thread goes on meanwhile
    events, summary, _ = imported(tmp_path, log)
    calls = [(e["call"], e.get("phase", "complete")) for e in events[3:]]
    assert calls == [("recv", "call"), ("WSASocket", "complete")]
    assert summary.unreturned == {"recv": [7]} and summary.imported == 5


def test_the_summary_names_every_call_left_out(run_wsshare, tmp_path):
    log = CONNECTED + done("getsockname", SOCKET_ERROR, S, BUF, BUF) + done("htons", 0x5000, 80)
    log += done("recv", 0, S, BUF, 0x1000, 0)
    log += done("WSARecv", SOCKET_ERROR, S, BUF, 1, 0, BUF, OVERLAPPED, 0) + read_error(IO_PENDING)
    source = tmp_path / "relay.log"
    source.write_text(log)
    proc = run_wsshare("import", "wine-relay", str(source), "-o", str(tmp_path / "t.jsonl"))
    assert proc.returncode == 0, proc.stderr
    text = " ".join(proc.stderr.split())
    assert "3 events from 8 ws2_32 calls in 16 lines (3 imported, 1 WSAGetLastError" in text
    assert "4 left out" in text
    assert "left out, not modelled: getsockname x1, htons x1" in text
    assert f"left out, {END_OF_STREAM}: recv x1" in text
    assert f"left out, {PENDING}: WSARecv x1" in text


def test_a_wsarecv_return_that_is_a_count_is_bad_input(tmp_path):
    source = tmp_path / "relay.log"
    source.write_text(CONNECTED + done("WSARecv", 7, S, BUF, 1, BUF, BUF, 0, 0))
    with pytest.raises(ImportFailed) as caught:
        import_log(source, tmp_path / "t.jsonl")
    assert f"{source}:8: retval:" in str(caught.value)
    assert "returns 0 or SOCKET_ERROR" in str(caught.value)


# -- live: a fresh relay log of the same program ----------------------------------------------


def record_relay_log(
    env: harness.WineEnv, log: Path, script: Callable[[Callable[[int, str], Any]], None]
) -> None:
    """Run a program of two agents under WINEDEBUG=+pid,+relay, both logging to `log`.
    `script` drives them with ask(agent, command) -> the parsed answer; what it relays
    between them (the info bytes) is the program's IPC, invisible to the relay channel."""
    reg = [env.tools.wine, "reg", "add", "HKCU\\Software\\Wine\\Debug", "/v", "RelayInclude"]
    reg += ["/t", "REG_SZ", "/d", RELAY_INCLUDE, "/f"]
    subprocess.run(reg, env=env.env(), capture_output=True, check=True, timeout=120)
    relay = env.env() | {"WINEDEBUG": "+pid,+relay"}
    with log.open("ab") as sink:
        procs = [
            subprocess.Popen(
                [env.tools.wine, str(env.agent)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=sink,
                env=relay,
                text=True,
                bufsize=1,
            )
            for _ in range(2)
        ]

        def ask(i: int, command: str) -> Any:
            stdin, stdout = procs[i].stdin, procs[i].stdout
            assert stdin is not None and stdout is not None
            stdin.write(command + "\n")
            stdin.flush()
            return json.loads(stdout.readline())

        script(ask)
        ask(0, "exit")
        ask(1, "exit")
        for p in procs:
            p.wait(timeout=60)


def handoff(ask: Callable[[int, str], Any]) -> None:
    """The fixture's program: the handoff with a reused info and a double close."""
    p2 = ask(1, "getpid")["pid"]
    ask(1, "WSAStartup")
    ask(0, "WSAStartup")
    h = ask(0, "WSASocket")["handle"]
    info = ask(0, f"WSADuplicateSocket {h} {p2}")["info"]
    h2 = ask(1, f"WSASocketFromInfo {info}")["handle"]
    ask(1, f"WSASocketFromInfo {info}")  # a reused info: Wine returns h2 again
    ask(0, f"closesocket {h}")
    ask(1, f"closesocket {h2}")
    ask(1, f"closesocket {h2}")  # Wine listed h2 twice


def test_live_relay_log_of_the_program_imports_to_the_same_verdicts(tmp_path, unavailable):
    try:
        env = harness.WineEnv()
    except WineUnavailable as e:
        unavailable(str(e))
    log = tmp_path / "relay.log"
    record_relay_log(env, log, handoff)
    out = tmp_path / "relay.jsonl"
    summary = import_log(log, out)
    assert summary.events == 11, summary.line()
    assert _verdicts(out) == EXPECTED


def test_live_relay_log_of_fionbio_and_a_recv_that_would_block(tmp_path, unavailable):
    """Real relay lines of ioctlsocket(FIONBIO) and of a recv failing with WSAEWOULDBLOCK
    on the socket it made nonblocking: the trace conforms to both profiles, which it did
    not while FIONBIO was left out."""
    try:
        env = harness.WineEnv()
    except WineUnavailable as e:
        unavailable(str(e))
    peer = harness.Peer()

    def nonblocking_recv(ask: Callable[[int, str], Any]) -> None:
        ask(0, "WSAStartup")
        h = ask(0, "WSASocket")["handle"]
        ask(0, f"connect {h} {peer.port}")
        peer.accept()
        ask(0, f"ioctlsocket_fionbio {h} 1")
        assert ask(0, f"recv {h}")["error"] == "WSAEWOULDBLOCK"
        ask(0, f"closesocket {h}")

    log = tmp_path / "relay.log"
    try:
        record_relay_log(env, log, nonblocking_recv)
    finally:
        peer.close()
    out = tmp_path / "relay.jsonl"
    summary = import_log(log, out)
    events = [json.loads(line) for line in out.read_text().splitlines()[1:]]
    calls = [(e["call"], e.get("error")) for e in events if e["call"] != "process_exit"]
    assert calls == [
        ("WSAStartup", None),
        ("WSASocket", None),
        ("connect", None),
        ("ioctlsocket_fionbio", None),
        ("recv", "WSAEWOULDBLOCK"),
        ("closesocket", None),
    ], summary.line()
    assert verdicts(out) == BOTH_CONFORM

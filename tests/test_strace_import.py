"""The strace importer on hand-written logs (tests/data/strace), each shaped like strace
6.1's output of `strace -f -ttt -s 256 --decode-fds=path,pidfd -o LOG`: the replay of
each process's descriptor table, the pairing of SCM_RIGHTS sends with their receives,
`<unfinished ...>`/`<... resumed>`, fork, exec and close-on-exec, close_range, pidfds,
and bad input that must name its file and line.

The live part (recording real programs) is in test_record_linux.py.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from wsshare.conformance.checking.engine import check_file
from wsshare.conformance.cli.commands import main
from wsshare.conformance.importers.strace import import_log, split_args, write_trace
from wsshare.conformance.trace import TraceError, TraceReader
from wsshare.model import get_profile

DATA = Path(__file__).resolve().parent / "data" / "strace"


def events(name: str, **kw: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    import_log(DATA / name, lambda e, _line: found.append(e), **kw)
    for e in found:
        e.pop("time", None)
    return found


def calls(evs: list[dict[str, Any]]) -> list[tuple[int, str]]:
    return [(e["pid"], e["call"]) for e in evs]


def test_handoff_replays_both_tables_and_pairs_the_message():
    evs = events("handoff.log")
    assert calls(evs) == [
        (100, "exec"),
        (100, "socketpair"),
        (100, "set_cloexec"),
        (100, "set_cloexec"),
        (100, "socket"),
        (100, "set_cloexec"),
        (100, "bind"),
        (100, "listen"),
        # The child's first line comes before its parent's clone returns in the log; it is
        # held back until the fork made the child.
        (100, "fork"),
        (101, "close"),
        (100, "close"),
        (100, "send_fds"),
        (100, "close"),
        (101, "recv_fds"),
        (101, "accept"),
        (101, "close"),
        (101, "process_exit"),
        (100, "close"),
        (100, "process_exit"),
    ]
    assert evs[1]["value"] == [3, 4]
    assert evs[1]["sockets"] == ["socket:[5001]", "socket:[5002]"]
    assert evs[8]["args"] == {"child": 101}
    send, recv = evs[11], evs[13]
    assert send["args"] == {"to": 101, "handles": [5]}
    assert send["sockets"] == ["socket:[5003]"]
    # The recvmsg was split across an unfinished and a resumed line; the control message
    # and the MSG_CMSG_CLOEXEC flag come from the resumed part.
    assert recv["args"] == {"sender": 100, "cloexec": True}
    assert recv["value"] == [3] and recv["sockets"] == ["socket:[5003]"]
    accept = evs[14]
    assert accept["result"] == "error" and accept["error"] == "EAGAIN"
    assert accept["args"] == {"handle": 3} and accept["socket"] == "socket:[5003]"


def test_a_receive_that_returns_before_its_send_comes_after_the_send():
    found: list[dict[str, Any]] = []
    summary = import_log(DATA / "early-receive.log", lambda e, _: found.append(e))
    sends = [i for i, e in enumerate(found) if e["call"] == "send_fds"]
    recvs = [i for i, e in enumerate(found) if e["call"] == "recv_fds"]
    # Message "a": the sender's sendmsg resumes after the receiver returned, yet the send
    # is written first. Message "b" is never received: left out and counted. Message
    # "c" carries an untracked terminal with the socket: only the socket travels.
    assert len(sends) == 2 and len(recvs) == 2
    assert sends[0] < recvs[0] < sends[1] < recvs[1]
    assert found[recvs[0]]["value"] == [5]
    assert found[sends[1]]["args"]["handles"] == [5]
    assert found[recvs[1]]["value"] == [6]
    assert found[recvs[1]]["sockets"] == ["socket:[6003]"]
    assert summary.unreceived_sends == 1
    assert "1 SCM_RIGHTS message(s) sent but never received" in summary.text()
    # The receiver was killed: its process exit is still an event.
    assert (201, "process_exit") in calls(found)


def test_fork_exec_and_close_on_exec():
    evs = events("fork-exec.log")
    by_call = [(e["pid"], e["call"], e["args"]) for e in evs]
    # F_SETFD and FIONCLEX both change the flag; F_GETFD is no event.
    assert (300, "set_cloexec", {"handle": 3, "on": True}) in by_call
    assert (300, "set_cloexec", {"handle": 3, "on": False}) in by_call
    # F_DUPFD_CLOEXEC has no target number; dup3 has one; dup's copy is inheritable.
    assert (300, "dup", {"handle": 4, "cloexec": True}) in by_call
    assert (300, "dup", {"handle": 4, "to": 11, "cloexec": True}) in by_call
    assert (300, "dup", {"handle": 3, "cloexec": False}) in by_call
    # dup2 of an untracked descriptor (/dev/null) over a tracked one is the close of the
    # tracked one; dup2(3, 3) changes nothing and is no event.
    close7 = next(e for e in evs if e["call"] == "close" and e["args"] == {"handle": 7})
    assert close7["socket"] == "socket:[7001]"
    assert not any(e["call"] == "dup" and e["args"].get("to") == 3 for e in evs)
    # A thread's close carries the process's pid and the thread's tid.
    thread_close = next(e for e in evs if e.get("tid") == 302)
    assert thread_close["pid"] == 300 and thread_close["args"] == {"handle": 11}
    # vfork: the child's lines before the parent's return follow the fork event.
    assert calls(evs)[calls(evs).index((300, "fork")) + 1] == (303, "close")
    # The failed execve of pid 300 is left out; the successful ones are there.
    assert calls(evs).count((300, "exec")) == 1 and (303, "exec") in calls(evs)
    # After the child's exec, 4 (SOCK_CLOEXEC) is gone, so its close fails with EBADF,
    # and that failure on a bare number is an event; 3 (FIONCLEX) survived the exec.
    child = [e for e in evs if e["pid"] == 303]
    assert [e["call"] for e in child] == ["close", "exec", "close", "close", "process_exit"]
    assert child[2]["args"] == {"handle": 3} and child[2]["result"] == "ok"
    assert child[3]["args"] == {"handle": 4}
    assert child[3]["result"] == "error" and child[3]["error"] == "EBADF"
    assert "socket" not in child[3]
    # The close of an untracked descriptor (1</dev/null>) is no event.
    assert not any(e["call"] == "close" and e["args"] == {"handle": 1} for e in evs)


def test_close_range_and_a_pidfd_of_an_exited_process():
    evs = events("close-range.log")
    ranges = [(e["pid"], e["args"]) for e in evs if e["call"] == "close_range"]
    # close_range(20, 30) holds no tracked descriptor and is left out.
    assert ranges == [
        (400, {"low": 4, "high": 4294967295, "cloexec": True}),
        (401, {"low": 3, "high": 3, "cloexec": False}),
    ]
    child = [e["call"] for e in evs if e["pid"] == 401]
    # 4 was marked close-on-exec by the parent's close_range, inherited marked, and gone
    # after the child's exec.
    assert child == ["close_range", "exec", "close", "process_exit"]
    getfd = next(e for e in evs if e["call"] == "pidfd_getfd")
    assert getfd["args"] == {"source_pid": 401, "handle": 3}
    assert getfd["error"] == "ESRCH"
    pidfd = next(e for e in evs if e["call"] == "open_other")
    assert pidfd["socket"] == "pidfd:401#1"


def test_pidfd_getfd():
    evs = events("pidfd.log")
    getfds = [e for e in evs if e["call"] == "pidfd_getfd"]
    # The third call copies the source's terminal, which the log never showed created.
    assert len(getfds) == 2
    assert getfds[0]["args"] == {"source_pid": 500, "handle": 3}
    assert getfds[0]["value"] == 3 and getfds[0]["socket"] == "socket:[9001]"
    assert getfds[1]["error"] == "EBADF" and getfds[1]["args"]["handle"] == 8
    after = evs[evs.index(getfds[0]) + 1]
    assert after["call"] == "set_cloexec" and after["args"] == {"handle": 3, "on": True}


def test_socket_types_and_af_unspec_are_written():
    found: list[dict[str, Any]] = []
    summary = import_log(DATA / "udp-resolver.log", lambda e, _: found.append(e))
    made = [(e["call"], e["args"]) for e in found if e["call"] in ("socket", "socketpair")]
    assert made == [
        ("socket", {"type": "dgram"}),
        ("socket", {"type": "dgram"}),
        ("socketpair", {"type": "dgram"}),
    ]
    connects = [e["args"] for e in found if e["call"] == "connect"]
    assert connects == [
        {"handle": 3},
        {"handle": 3, "unspec": True},
        {"handle": 3},
        {"handle": 3},
        {"handle": 4},
        {"handle": 4, "unspec": True},
    ]
    # SOCK_PACKET's number (strace cannot name it) is no type the model knows: that socket
    # and its close are left out, and the summary says so.
    assert not any(e.get("socket") == "socket:[8005]" for e in found)
    assert any("0x20 /* SOCK_??? */" in w for w in summary.warnings)


def test_each_message_names_the_socket_it_queues_on():
    # Two socketpairs between the same parent and child; the child reads the second
    # one's message first. Both events of a message name the receiving socket (L14).
    evs = events("two-channels.log")
    moved = [(e["call"], e["sockets"], e.get("channel")) for e in evs if "fds" in e["call"]]
    assert moved == [
        ("send_fds", ["socket:[9005]"], "socket:[9002]"),
        ("send_fds", ["socket:[9006]"], "socket:[9004]"),
        ("recv_fds", ["socket:[9006]"], "socket:[9004]"),
        ("recv_fds", ["socket:[9005]"], "socket:[9002]"),
    ]


def test_messages_of_untracked_descriptors_are_counted_not_hidden(tmp_path, capsys):
    # A pty (opened by the untraced openat) sent alone, then with a socket: the first
    # message is no event, the second carries the socket only; the summary says both.
    found: list[dict[str, Any]] = []
    summary = import_log(DATA / "untracked-message.log", lambda e, _: found.append(e))
    moved = [(e["call"], e["sockets"]) for e in found if "fds" in e["call"]]
    assert moved == [("send_fds", ["socket:[9103]"]), ("recv_fds", ["socket:[9103]"])]
    assert (summary.untracked_messages, summary.untracked_passed) == (1, 1)
    assert summary.left_out == [
        "line 4: pid 900's message to pid 901, which carried only untracked descriptors "
        "(/dev/pts/3)",
        "line 6: from pid 900's message to pid 901, the untracked /dev/pts/3 (its tracked "
        "ones are written)",
    ]
    # What `wsshare import strace` prints.
    out = tmp_path / "t.jsonl"
    assert main(["import", "strace", str(DATA / "untracked-message.log"), "-o", str(out)]) == 0
    err = capsys.readouterr().err
    assert "1 SCM_RIGHTS message(s) carried only descriptors whose origin the log" in err
    assert "nothing of theirs was checked" in err
    assert "left out: line 4: pid 900's message to pid 901" in err
    assert check_file(str(out), get_profile("linux-scm-rights")).verdict == "conforms"


def test_lines_without_a_pid_need_the_root_pid():
    with pytest.raises(TraceError) as caught:
        events("stderr-format.log")
    assert caught.value.line == 1 and "--root-pid" in caught.value.message
    evs = events("stderr-format.log", root_pid=600)
    assert calls(evs) == [
        (600, "exec"),
        (600, "socket"),
        (600, "fork"),
        (601, "close"),
        (601, "process_exit"),
        (600, "close"),
        (600, "process_exit"),
    ]


@pytest.mark.parametrize(
    ("name", "line", "words"),
    [
        ("bad-truncated.log", 2, "truncated last line"),
        ("bad-garbage.log", 2, "not a line of strace"),
        ("bad-resumed.log", 2, "without an earlier 'recvmsg(... <unfinished ...>'"),
        ("bad-yy.log", 2, "re-record with --decode-fds=path,pidfd"),
        ("bad-undecoded.log", 1, "recorded without --decode-fds=path"),
        ("bad-return.log", 2, "cannot read the return value 'yes please'"),
    ],
)
def test_bad_input_names_file_and_line(name, line, words):
    with pytest.raises(TraceError) as caught:
        events(name)
    assert caught.value.path.endswith(name)
    assert caught.value.line == line
    assert words in caught.value.message


def test_the_cli_reports_bad_input_in_one_line(tmp_path, capsys):
    out = tmp_path / "t.jsonl"
    assert main(["import", "strace", str(DATA / "bad-yy.log"), "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("wsshare: error: ") and "bad-yy.log:2: args:" in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    # No half-written trace is left behind.
    assert list(tmp_path.iterdir()) == []


def test_split_args_respects_quotes_brackets_and_decorations():
    assert split_args('3<socket:[1]>, "a, b", [1, 2], {x=1, y=[2, 3]}, 5</p,q>') == [
        "3<socket:[1]>",
        '"a, b"',
        "[1, 2]",
        "{x=1, y=[2, 3]}",
        "5</p,q>",
    ]
    assert split_args("") == []


@pytest.mark.parametrize(
    "name",
    [
        "handoff.log",
        "early-receive.log",
        "fork-exec.log",
        "close-range.log",
        "pidfd.log",
        "udp-resolver.log",
        "two-channels.log",
        "untracked-message.log",
    ],
)
def test_written_traces_are_valid(tmp_path, name):
    out = tmp_path / "t.jsonl"
    write_trace(DATA / name, out, platform="Linux 6.1 x86_64", recorder="test")
    with TraceReader(out) as reader:
        assert reader.header.implementation == "linux"
        assert reader.header.profile_hint == "linux-scm-rights"
        lines = list(reader)
    assert [ln.event.seq for ln in lines] == list(range(len(lines)))
    assert len(lines) == len(events(name))


@pytest.mark.parametrize(
    ("name", "profile", "verdict", "rules", "event"),
    [
        ("handoff.log", "linux-scm-rights", "conforms", [], None),
        ("early-receive.log", "linux-scm-rights", "conforms", [], None),
        ("fork-exec.log", "linux-scm-rights", "conforms", [], None),
        ("pidfd.log", "linux-pidfd", "conforms", [], None),
        ("close-range.log", "linux-pidfd", "conforms", [], None),
        # glibc's resolver: one UDP socket connected to each name server in turn, with an
        # AF_UNSPEC connect between (L13); was "violates L12" (EISCONN) before sockets had
        # a type.
        ("udp-resolver.log", "linux-scm-rights", "conforms", [], None),
        # Two connections between one pair of processes, read in the other order (L14);
        # was "violates R26, L1, L8" with one queue per pair of processes.
        ("two-channels.log", "linux-scm-rights", "conforms", [], None),
        # A kernel that kept a close-on-exec socket open across exec: strace shows the
        # later close succeed; the importer writes it rather than dropping it as a close
        # of an unknown descriptor, and the model says the number names nothing (L2).
        ("exec-keeps-cloexec.log", "linux-scm-rights", "violates", ["L2"], 5),
    ],
)
def test_imported_fixtures_get_their_verdicts(tmp_path, name, profile, verdict, rules, event):
    out = tmp_path / "t.jsonl"
    summary = write_trace(DATA / name, out)
    result = check_file(str(out), get_profile(profile))
    assert (result.verdict, result.rule_ids, result.event_index) == (verdict, rules, event)
    if verdict == "violates":
        assert any("should have closed" in w for w in summary.warnings)


def _synthetic_log(path: Path, rounds: int) -> int:
    """A log of `rounds` handoffs between a parent and a child: socket, sendmsg with
    SCM_RIGHTS, recvmsg, and a close on both sides, with unrelated file closes between."""
    lines = [
        "1  1700000000.000000 socketpair(AF_UNIX, SOCK_STREAM, 0, [3<socket:[10]>, "
        "4<socket:[11]>]) = 0",
        "1  1700000000.000001 clone(child_stack=NULL, flags=SIGCHLD, child_tidptr=0x1) = 2",
    ]
    msg = (
        '{{msg_name=NULL, msg_namelen=0, msg_iov=[{{iov_base="x", iov_len=1}}], '
        "msg_iovlen=1, msg_control=[{{cmsg_len=20, cmsg_level=SOL_SOCKET, "
        "cmsg_type=SCM_RIGHTS, cmsg_data=[{fd}<socket:[{ino}]>]}}], msg_controllen=24, "
        "msg_flags=0}}"
    )
    for i in range(rounds):
        ino = 1000 + i
        lines += [
            f"1  1700000001.{i:06d} socket(AF_INET, SOCK_STREAM, IPPROTO_TCP) = 5<socket:[{ino}]>",
            f"1  1700000001.{i:06d} close(7</usr/lib/file{i}.so>) = 0",
            f"1  1700000001.{i:06d} sendmsg(3<socket:[10]>, {msg.format(fd=5, ino=ino)}, 0) = 1",
            f"1  1700000001.{i:06d} close(5<socket:[{ino}]>) = 0",
            f"2  1700000001.{i:06d} recvmsg(4<socket:[11]>, {msg.format(fd=6, ino=ino)}, 0) = 1",
            f"2  1700000001.{i:06d} close(6<socket:[{ino}]>) = 0",
        ]
    lines += [
        "2  1700000002.000000 +++ exited with 0 +++",
        "1  1700000002.000001 +++ exited with 0 +++",
    ]
    path.write_text("\n".join(lines) + "\n")
    return len(lines)


def test_a_large_log_imports_quickly_and_completely(tmp_path):
    log = tmp_path / "big.log"
    n = _synthetic_log(log, 5000)
    out = tmp_path / "big.jsonl"
    start = time.perf_counter()
    summary = write_trace(log, out)
    seconds = time.perf_counter() - start
    assert summary.lines == n
    # socketpair, fork, 5 events per round, two exits.
    assert summary.events == 2 + 5 * 5000 + 2
    assert summary.unreceived_sends == 0 and summary.unmatched_receives == 0
    # Far below what it takes (about 25,000 lines/s here); a regression to quadratic
    # pairing would miss it by minutes.
    assert seconds < 30, f"{n} lines took {seconds:.1f} s"
    last = json.loads(out.read_text().splitlines()[-1])
    assert last["call"] == "process_exit" and last["pid"] == 1

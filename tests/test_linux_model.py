"""The Linux profiles: the kernel's descriptor passing over the same World (model/linux.py).

Pinned counts, the lifetime rules one by one, the fence between the platforms, and the
checker on Linux traces written by hand."""

import json

import pytest

from wsshare.conformance.checking.engine import check_file
from wsshare.conformance.loading import load_config
from wsshare.conformance.trace import TraceError
from wsshare.model import (
    LINUX_RULES,
    PROFILES,
    RULES_BY_ID,
    Errno,
    LinuxSemantics,
    Semantics,
    describe_result,
    get_profile,
    make_semantics,
    reference_explore,
)
from wsshare.model.actions import (
    Accept,
    Bind,
    Close,
    CloseRange,
    Connect,
    ConnectUnspec,
    Dup,
    Err,
    Exec,
    Fork,
    LinuxSocket,
    Listen,
    Ok,
    OpenOther,
    PeerSeesClose,
    PidfdGetfd,
    ProcessExit,
    RecvFds,
    SendFds,
    SetCloexec,
    Socketpair,
    WSADuplicateSocket,
    WSASocket,
)

SCM = get_profile("linux-scm-rights")
PIDFD = get_profile("linux-pidfd")


def _sem(profile=SCM, **bounds):
    return make_semantics(load_config("linux").model_copy(update=bounds), profile)


def _run(sem, *actions, world=None):
    """Run actions that each have exactly one outcome, from `world` (else the initial
    one); return the results and the world after."""
    w = world or sem.initial_worlds()[0]
    results = []
    for a in actions:
        found = sem.outcomes(w, a)
        assert len(found) == 1, (a, found)
        results.append(found[0].result)
        w = found[0].world
    return results, w


def test_make_semantics_picks_the_platform():
    config = load_config("tiny")
    assert type(make_semantics(config, PROFILES["documented"])) is Semantics
    assert isinstance(make_semantics(load_config("linux"), SCM), LinuxSemantics)


@pytest.mark.parametrize(
    ("profile", "bounds", "states", "edges", "depth"),
    [
        (PIDFD, {}, 2738, 40095, 13),
        (SCM, {"max_handles": 1}, 410, 3459, 11),
    ],
)
def test_linux_graphs_have_pinned_counts_and_keep_every_invariant(
    profile, bounds, states, edges, depth
):
    space = reference_explore(_sem(profile, **bounds))
    assert space.complete and not space.violations
    assert (len(space.worlds), space.edge_count, space.depth) == (states, edges, depth)


def test_each_platform_gives_the_others_calls_no_outcome():
    linux, winsock = _sem(), make_semantics(load_config("tiny"), PROFILES["documented"])
    w_linux, w_winsock = linux.initial_worlds()[0], winsock.initial_worlds()[0]
    assert linux.outcomes(w_linux, WSASocket(pid=1)) == []
    assert linux.outcomes(w_linux, WSADuplicateSocket(pid=1, handle=1, target_pid=2)) == []
    assert winsock.outcomes(w_winsock, LinuxSocket(pid=1)) == []
    assert winsock.outcomes(w_winsock, Fork(pid=1, child=2)) == []


def test_a_message_in_flight_keeps_the_socket_after_the_sender_closes():
    # L7: the sender closes right after sendmsg; the socket lives until the receiver's
    # descriptor goes, and only then may the peer see the connection end (R34).
    sem = _sem(processes=2, running_at_start=2, max_sockets=2)
    _, w = _run(
        sem,
        Socketpair(pid=1),
        SendFds(pid=1, to=2, handles=(1,)),
        Close(pid=1, handle=1),
    )
    assert w.sockets[0].open and sem.outcomes(w, PeerSeesClose(socket=0)) == []
    (received,), w = _run(sem, RecvFds(pid=2, sender=1), world=w)
    assert received == Ok(value=(1,))
    _, w = _run(sem, Close(pid=2, handle=1), world=w)
    assert not w.sockets[0].open and sem.outcomes(w, PeerSeesClose(socket=0))


def test_two_connections_between_the_same_processes_queue_apart():
    # L14: a message waits on its own connection; another connection's message, sent
    # later, may be received first. On one connection the order is kept.
    sem = _sem(processes=2, running_at_start=2, max_sockets=2, max_handles=3, channel_capacity=3)
    _, w = _run(
        sem,
        LinuxSocket(pid=1),
        LinuxSocket(pid=1),
        SendFds(pid=1, to=2, handles=(1,), channel=1),
        SendFds(pid=1, to=2, handles=(2,), channel=2),
        SendFds(pid=1, to=2, handles=(2,), channel=1),
    )
    offered = {a for a in sem.enabled(w) if isinstance(a, RecvFds)}
    assert {a.channel for a in offered} == {1, 2}
    (first,), w2 = _run(sem, RecvFds(pid=2, sender=1, channel=2), world=w)
    assert first == Ok(value=(1,)) and [d.socket for d in w2.descriptors_of(2)] == [1]
    _, w3 = _run(
        sem, RecvFds(pid=2, sender=1, channel=1), RecvFds(pid=2, sender=1, channel=1), world=w2
    )
    assert [d.socket for d in w3.descriptors_of(2)] == [1, 0, 1]
    assert sem.outcomes(w3, RecvFds(pid=2, sender=1, channel=1)) == []


def test_an_unreceived_message_dies_with_its_receiver():
    sem = _sem(processes=2, running_at_start=2)
    _, w = _run(
        sem,
        LinuxSocket(pid=1),
        SendFds(pid=1, to=2, handles=(1,)),
        Close(pid=1, handle=1),
        ProcessExit(pid=2),
    )
    assert not w.sockets[0].open


def test_pidfd_getfd_pulls_while_the_source_holds_and_may_repeat():
    sem = _sem(PIDFD, processes=2, running_at_start=2, max_handles=3)
    results, w = _run(
        sem,
        LinuxSocket(pid=1),
        PidfdGetfd(pid=2, source_pid=1, handle=1),
        PidfdGetfd(pid=2, source_pid=1, handle=1),
        Close(pid=1, handle=1),
        PidfdGetfd(pid=2, source_pid=1, handle=1),
    )
    assert results[1:] == [Ok(value=1), Ok(value=2), Ok(), Err(error=Errno.EBADF)]
    assert all(d.cloexec for d in w.descriptors_of(2))  # L9: the copy is close-on-exec
    assert w.sockets[0].open


def test_pidfd_getfd_from_an_exited_process_is_esrch():
    sem = _sem(PIDFD, processes=2, running_at_start=2)
    results, _ = _run(
        sem, LinuxSocket(pid=1), ProcessExit(pid=1), PidfdGetfd(pid=2, source_pid=1, handle=1)
    )
    assert results[-1] == Err(error=Errno.ESRCH)


def test_the_mechanism_belongs_to_the_profile():
    # SCM_RIGHTS is not offered under linux-pidfd, nor pidfd_getfd under linux-scm-rights.
    scm, pidfd = _sem(running_at_start=2), _sem(PIDFD, running_at_start=2)
    _, w = _run(scm, LinuxSocket(pid=1))
    assert scm.outcomes(w, PidfdGetfd(pid=2, source_pid=1, handle=1)) == []
    assert pidfd.outcomes(w, SendFds(pid=1, to=2, handles=(1,))) == []


def test_fork_copies_the_table_and_exec_closes_only_close_on_exec():
    sem = _sem()
    _, w = _run(
        sem,
        LinuxSocket(pid=1),
        Dup(pid=1, handle=1),
        SetCloexec(pid=1, handle=2, on=True),
        Fork(pid=1, child=2),
    )
    child = {(d.handle, d.socket, d.cloexec) for d in w.descriptors_of(2)}
    assert child == {(1, 0, False), (2, 0, True)}  # L4
    _, w = _run(
        sem,
        LinuxSocket(pid=1),
        Dup(pid=1, handle=1),
        SetCloexec(pid=1, handle=2, on=True),
        Exec(pid=1),
    )
    assert [d.handle for d in w.descriptors_of(1)] == [1]  # L5


def test_dup2_onto_an_open_number_closes_it_first():
    sem = _sem(max_sockets=2, max_handles=3)
    results, w = _run(sem, LinuxSocket(pid=1), LinuxSocket(pid=1), Dup(pid=1, handle=1, to=2))
    assert results[-1] == Ok(value=2)
    assert [d.socket for d in w.descriptors_of(1)] == [0, 0]
    assert not w.sockets[1].open  # its last descriptor went (L3, R34)


def test_close_range_skips_gaps_and_may_only_mark_close_on_exec():
    sem = _sem(max_sockets=2, max_handles=3)
    _, w = _run(sem, LinuxSocket(pid=1), LinuxSocket(pid=1))
    (marked,) = sem.outcomes(w, CloseRange(pid=1, handles=(1, 2, 3), cloexec=True))
    assert all(d.cloexec for d in marked.world.descriptors_of(1))
    (closed,) = sem.outcomes(w, CloseRange(pid=1, handles=(1, 2, 3)))
    assert closed.world.descriptors_of(1) == () and closed.result == Ok()


def test_a_number_that_names_nothing_is_ebadf_and_a_pipe_is_not_a_socket():
    sem = _sem()
    results, _ = _run(sem, OpenOther(pid=1), Close(pid=1, handle=2))
    assert results[-1] == Err(error=Errno.EBADF)
    _, w = _run(sem, OpenOther(pid=1))
    (refused,) = sem.outcomes(w, Listen(pid=1, handle=1))
    assert refused.result == Err(error=Errno.ENOTSOCK)


def _results(sem, w, action):
    return {(describe_result(o.result), o.world.sockets[0].state) for o in sem.outcomes(w, action)}


def test_a_datagram_socket_reconnects_dissolves_and_has_no_listen():
    # L13: glibc's resolver connects one UDP socket to each name server in turn, and to
    # AF_UNSPEC between them; a stream socket would be EISCONN at the second connect.
    sem = _sem(families=frozenset({"create", "close", "connection"}))
    _, w = _run(sem, LinuxSocket(pid=1, type="dgram"))
    assert w.sockets[0].type == "dgram"
    connected = {("OK", "connected")}
    assert connected <= _results(sem, w, Connect(pid=1, handle=1))
    (w,) = [o.world for o in sem.outcomes(w, Connect(pid=1, handle=1)) if o.result == Ok()]
    # Again from "connected": a new default peer, never EISCONN.
    again = _results(sem, w, Connect(pid=1, handle=1))
    assert connected <= again and not any("EISCONN" in r for r, _ in again)
    # AF_UNSPEC dissolves it: the port stays only if a bind chose it.
    assert _results(sem, w, ConnectUnspec(pid=1, handle=1)) == {("OK", "bound"), ("OK", "unbound")}
    for call in (Listen(pid=1, handle=1), Accept(pid=1, handle=1)):
        assert _results(sem, w, call) == {("EOPNOTSUPP (95)", "connected")}
    # A failed connect of an unbound UDP socket leaves it bound (inet_dgram_connect binds
    # first); a unix datagram socket stays unbound.
    _, fresh = _run(sem, LinuxSocket(pid=1, type="dgram"))
    failed = _results(sem, fresh, Connect(pid=1, handle=1))
    assert {("EACCES (13)", "unbound"), ("EACCES (13)", "bound")} <= failed
    (bound,) = [o.world for o in sem.outcomes(fresh, Bind(pid=1, handle=1)) if o.result == Ok()]
    assert _results(sem, bound, ConnectUnspec(pid=1, handle=1)) == {
        ("OK", "bound"),
        ("OK", "unbound"),
    }


def test_a_stream_socket_keeps_its_connection_rules_and_may_refuse_af_unspec():
    sem = _sem(families=frozenset({"create", "close", "connection"}), max_sockets=2)
    _, w = _run(sem, Socketpair(pid=1))
    assert _results(sem, w, Connect(pid=1, handle=1)) == {("EISCONN (106)", "connected")}
    # TCP drops the connection; a unix stream socket (as here) refuses AF_UNSPEC.
    assert _results(sem, w, ConnectUnspec(pid=1, handle=1)) == {
        ("OK", "bound"),
        ("OK", "unbound"),
        ("EINVAL (22)", "connected"),
    }
    _, w = _run(sem, Socketpair(pid=1, type="dgram"))
    assert {w.sockets[0].type, w.sockets[1].type} == {"dgram"}
    assert ("OK", "connected") in _results(sem, w, Connect(pid=1, handle=1))


def test_datagram_sockets_keep_every_invariant_under_exploration():
    # Made only where the connection calls are explored, so linux.json's pinned counts
    # (no connection family) stay as they were.
    config = {"processes": 1, "max_handles": 1, "max_sockets": 1}
    space = reference_explore(_sem(families=frozenset({"create", "close", "connection"}), **config))
    assert space.complete and not space.violations
    states = {(s.type, s.state) for w in space.worlds for s in w.sockets}
    assert {("dgram", "connected"), ("dgram", "bound"), ("stream", "listening")} <= states


def test_linux_rules_are_cited_and_name_existing_code():
    assert [r.id for r in LINUX_RULES] == [f"L{i}" for i in range(1, 15)]
    for r in LINUX_RULES:
        assert RULES_BY_ID[r.id] is r and r.statement.endswith(".")
        assert all(link.startswith("https://man7.org/") for link in r.source_links())
        for item in r.implemented_by:
            owner, name = item.split(".")
            assert hasattr({"LinuxSemantics": LinuxSemantics}.get(owner, object), name) or (
                owner == "World"
            ), item


# -- the checker on hand-written Linux traces --------------------------------------------

HEADER = {
    "format": "wsshare-trace",
    "version": 1,
    "implementation": "linux",
    "level": "api",
    "profile_hint": "linux-scm-rights",
}

HANDOFF = [
    {"pid": 100, "call": "socketpair", "result": "ok", "value": [3, 4]},
    {"pid": 100, "call": "fork", "args": {"child": 101}, "result": "ok"},
    {"pid": 101, "call": "close", "args": {"handle": 3}, "result": "ok"},
    {"pid": 100, "call": "socket", "result": "ok", "value": 5, "socket": "socket:[20]"},
    {"pid": 100, "call": "bind", "args": {"handle": 5}, "result": "ok"},
    {"pid": 100, "call": "listen", "args": {"handle": 5}, "result": "ok"},
    {"pid": 100, "call": "send_fds", "args": {"to": 101, "handles": [5]}, "result": "ok"},
    {"pid": 100, "call": "close", "args": {"handle": 5}, "result": "ok"},
    {
        "pid": 101,
        "call": "recv_fds",
        "args": {"sender": 100},
        "result": "ok",
        "value": [3],
        "sockets": ["socket:[20]"],
    },
    {"pid": 101, "call": "dup", "args": {"handle": 3, "to": 0}, "result": "ok", "value": 0},
    {"pid": 101, "call": "close_range", "args": {"low": 3, "high": 4294967295}, "result": "ok"},
    {"pid": 101, "call": "exec", "result": "ok"},
    {"pid": 101, "call": "accept", "args": {"handle": 0}, "result": "ok", "value": 1},
    {"pid": 101, "call": "close", "args": {"handle": 3}, "result": "error", "error": "EBADF"},
]


def _write(tmp_path, events, name="t.jsonl"):
    path = tmp_path / name
    lines = [HEADER] + [{"seq": i, **e} for i, e in enumerate(events)]
    path.write_text("".join(json.dumps(x) + "\n" for x in lines))
    return str(path)


def test_a_handoff_by_scm_rights_conforms(tmp_path):
    result = check_file(_write(tmp_path, HANDOFF), SCM)
    assert result.verdict == "conforms", result.violation


# One program using both mechanisms: the parent sends its listener with SCM_RIGHTS, and
# the child then pulls the parent's other socket with pidfd_getfd.
BOTH = [
    *HANDOFF[:9],
    {"pid": 100, "call": "socket", "result": "ok", "value": 5, "socket": "socket:[21]"},
    {
        "pid": 101,
        "call": "pidfd_getfd",
        "args": {"source_pid": 100, "handle": 5},
        "result": "ok",
        "value": 0,
        "socket": "socket:[21]",
    },
]


def test_the_linux_profile_has_both_mechanisms(tmp_path):
    # Before the `linux` profile, linux-pidfd was the only answer for a kernel with
    # pidfd_getfd, and it rejects every SCM_RIGHTS trace at its first send.
    handoff = _write(tmp_path, HANDOFF, "handoff.jsonl")
    both = _write(tmp_path, BOTH, "both.jsonl")
    linux = get_profile("linux")
    assert linux.linux_handoff == {"scm_rights", "pidfd_getfd"}
    assert check_file(handoff, linux).verdict == "conforms"
    assert check_file(both, linux).verdict == "conforms"
    refused = check_file(handoff, PIDFD)
    assert (refused.verdict, refused.event_index) == ("violates", 6)
    refused = check_file(both, SCM)
    assert (refused.verdict, refused.event_index) == ("violates", 10)
    # Both calls are offered to exploration under it.
    sem = _sem(linux, running_at_start=2)
    _, w = _run(sem, LinuxSocket(pid=1))
    offered = {type(a) for a in sem.enabled(w)}
    assert {SendFds, PidfdGetfd} <= offered


# sshd's name lookups (glibc's resolver): one UDP socket connected to a name server, to
# AF_UNSPEC, to the next ones; listen on it is EOPNOTSUPP.
RESOLVER = [
    {"pid": 200, "call": "socket", "args": {"type": "dgram"}, "result": "ok", "value": 3},
    {"pid": 200, "call": "connect", "args": {"handle": 3}, "result": "ok"},
    {"pid": 200, "call": "connect", "args": {"handle": 3, "unspec": True}, "result": "ok"},
    {"pid": 200, "call": "connect", "args": {"handle": 3}, "result": "ok"},
    {"pid": 200, "call": "connect", "args": {"handle": 3}, "result": "ok"},
    {
        "pid": 200,
        "call": "listen",
        "args": {"handle": 3},
        "result": "error",
        "error": "EOPNOTSUPP",
    },
    {"pid": 200, "call": "close", "args": {"handle": 3}, "result": "ok"},
]


def test_a_udp_socket_reconnects_and_an_untyped_socket_still_means_stream(tmp_path):
    result = check_file(_write(tmp_path, RESOLVER), SCM)
    assert result.verdict == "conforms", result.violation
    assert "L13" in result.rules_exercised
    # A trace without the type and the AF_UNSPEC flag (every trace before they were
    # recorded) still means what it meant, and gets the verdict it got: a stream socket,
    # connected twice (EISCONN).
    untyped = [
        {**e, "args": {k: v for k, v in e["args"].items() if k not in ("type", "unspec")}}
        for e in RESOLVER
    ]
    old = check_file(_write(tmp_path, untyped, "untyped.jsonl"), SCM)
    assert (old.verdict, old.event_index, old.rule_ids) == ("violates", 2, ["L12"])
    # And a stream socket's listen is no EOPNOTSUPP.
    stream = [{**e, "args": {"type": "stream"}} if e["call"] == "socket" else e for e in RESOLVER]
    stream = [e for e in stream if e["call"] != "connect"]
    assert check_file(_write(tmp_path, stream, "stream.jsonl"), SCM).event_index == 1


def test_unspec_must_be_a_boolean(tmp_path):
    bad = [RESOLVER[0], {**RESOLVER[2], "args": {"handle": 3, "unspec": "yes"}}]
    with pytest.raises(TraceError, match=r"args\.unspec must be true or false") as caught:
        check_file(_write(tmp_path, bad), SCM)
    assert caught.value.line == 3


# multiprocessing's send_handle over two Pipe()s between one parent and one worker: the
# worker reads the second pipe first. `channel` names the receiving socket of each.
TWO_PIPES = [
    {"pid": 300, "call": "socketpair", "result": "ok", "value": [3, 4]},
    {"pid": 300, "call": "socketpair", "result": "ok", "value": [5, 6]},
    {"pid": 300, "call": "socket", "result": "ok", "value": 7, "socket": "socket:[70]"},
    {"pid": 300, "call": "socket", "result": "ok", "value": 8, "socket": "socket:[80]"},
    {"pid": 300, "call": "fork", "args": {"child": 301}, "result": "ok"},
    {
        "pid": 300,
        "call": "send_fds",
        "args": {"to": 301, "handles": [7]},
        "result": "ok",
        "sockets": ["socket:[70]"],
        "channel": "socket:[4]",
    },
    {
        "pid": 300,
        "call": "send_fds",
        "args": {"to": 301, "handles": [8]},
        "result": "ok",
        "sockets": ["socket:[80]"],
        "channel": "socket:[6]",
    },
    {
        "pid": 301,
        "call": "recv_fds",
        "args": {"sender": 300},
        "result": "ok",
        "value": [9],
        "sockets": ["socket:[80]"],
        "channel": "socket:[6]",
    },
    {
        "pid": 301,
        "call": "recv_fds",
        "args": {"sender": 300},
        "result": "ok",
        "value": [10],
        "sockets": ["socket:[70]"],
        "channel": "socket:[4]",
    },
]


def test_messages_on_two_channels_are_received_in_either_order(tmp_path):
    result = check_file(_write(tmp_path, TWO_PIPES), SCM)
    assert result.verdict == "conforms", result.violation
    assert "L14" in result.rules_exercised
    # A trace without channels (as before they were recorded) has one queue per pair
    # of processes, as it had: the first receive must get socket:[70].
    unnamed = [{k: v for k, v in e.items() if k != "channel"} for e in TWO_PIPES]
    old = check_file(_write(tmp_path, unnamed, "unnamed.jsonl"), SCM)
    assert (old.verdict, old.event_index) == ("violates", 7)
    # On one channel the order is kept: the same receives on one channel violate.
    one = [{**e, "channel": "socket:[4]"} if "channel" in e else e for e in TWO_PIPES]
    assert check_file(_write(tmp_path, one, "one.jsonl"), SCM).event_index == 7
    # A receive on a channel nothing was sent on has nothing to take.
    lost = [*TWO_PIPES[:7], {**TWO_PIPES[7], "channel": "socket:[99]"}]
    assert check_file(_write(tmp_path, lost, "lost.jsonl"), SCM).event_index == 7


def test_a_channel_belongs_to_messages_only(tmp_path):
    bad = [{**HANDOFF[0], "channel": "socket:[4]"}]
    with pytest.raises(TraceError, match="'channel' belongs to send_fds and recv_fds"):
        check_file(_write(tmp_path, bad), SCM)


def test_a_descriptor_that_survives_close_range_is_caught(tmp_path):
    events = [dict(e) for e in HANDOFF]
    events[-1] = {"pid": 101, "call": "close", "args": {"handle": 3}, "result": "ok"}
    result = check_file(_write(tmp_path, events), SCM)
    assert result.verdict == "violates" and result.event_index == len(events) - 1
    assert "L2" in result.rule_ids


def test_received_identities_must_match_what_was_sent(tmp_path):
    # The sender's socket is socket:[20]; a receive that claims another identity for it
    # breaks the sharing rules at once.
    events = [dict(e) for e in HANDOFF]
    events[8] = {**events[8], "sockets": ["socket:[99]"]}
    result = check_file(_write(tmp_path, events), SCM)
    assert result.verdict == "violates" and result.event_index == 8


def test_a_winsock_trace_call_is_no_linux_call(tmp_path):
    events = [{"pid": 100, "call": "WSAStartup", "result": "ok"}]
    assert check_file(_write(tmp_path, events), SCM).verdict == "violates"
    linux = [HANDOFF[0]]
    assert check_file(_write(tmp_path, linux), PROFILES["documented"]).verdict == "violates"


def test_errno_names_are_read_and_unknown_ones_rejected(tmp_path):
    bad = [
        {"pid": 100, "call": "close", "args": {"handle": 3}, "result": "error", "error": "EWHAT"}
    ]
    with pytest.raises(TraceError, match="EWHAT"):
        check_file(_write(tmp_path, bad), SCM)


def test_explore_witnesses_the_linux_properties_of_each_mechanism(run_wsshare):
    found = {}
    for profile in ("linux-pidfd", "linux-scm-rights"):
        proc = run_wsshare(
            "explore", "linux", "--profile", profile, "--json", "--max-states", "3000"
        )
        assert proc.returncode in (0, 3), proc.stderr
        data = json.loads(proc.stdout)
        assert not data["violations"]
        found[profile] = {k for k, v in data["properties"].items() if v["witnessed"]}
    # pidfd_getfd has no message in flight; SCM_RIGHTS has one that outlives the sender.
    assert found["linux-pidfd"] == {"linux-handoff-completes", "exec-closes-only-flagged"}
    assert found["linux-scm-rights"] == {
        "linux-handoff-completes",
        "exec-closes-only-flagged",
        "in-flight-outlives-sender",
    }

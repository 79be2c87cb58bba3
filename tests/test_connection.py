"""connect on a nonblocking socket: the documented WSAEWOULDBLOCK, found by the live Wine
machine, with the connection going on in the background (seen through every
descriptor, R28)."""

from wsshare.conformance.loading import load_config
from wsshare.model import DOCUMENTED, Err, Ok, Semantics, WsaError
from wsshare.model.actions import Connect, IoctlNonblocking, Listen, WSASocket


def _after(sem, *actions):
    w = sem.initial_worlds()[0]
    results = []
    for a in actions:
        (o,) = sem.outcomes(w, a)
        results.append(o.result)
        w = o.world
    return results, w


def test_a_nonblocking_connect_would_block_and_still_connects():
    config = load_config("events").model_copy(
        update={"families": frozenset({"create", "events", "connection"})}
    )
    sem = Semantics(config, DOCUMENTED)
    results, w = _after(
        sem,
        WSASocket(pid=1),
        IoctlNonblocking(pid=1, handle=1, nonblocking=True),
        Connect(pid=1, handle=1),
        Connect(pid=1, handle=1),
        Listen(pid=1, handle=1),
    )
    assert results[2] == Err(error=WsaError.WSAEWOULDBLOCK)
    assert w.sockets[0].state == "connected"
    assert results[3:] == [Err(error=WsaError.WSAEISCONN), Err(error=WsaError.WSAEISCONN)]


def test_a_blocking_connect_succeeds():
    sem = Semantics(load_config("tiny"), DOCUMENTED)
    results, _ = _after(sem, WSASocket(pid=1), Connect(pid=1, handle=1))
    assert results[-1] == Ok()

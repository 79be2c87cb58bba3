"""The named profiles: data, with evidence, and the outcomes of C1..C22 that differ
under each."""

import pytest

from wsshare.conformance.fixtures.scenarios import ALL_SCENARIOS, SCENARIOS_BY_ID, run, run_spi
from wsshare.model import DOCUMENTED, PROFILES, Semantics

# Under each profile, the scenarios that depart from the documented expectation, and
# what the profile allows at the step where they depart.
DEPARTURES = {
    "documented": {},
    "windows": {},
    "wine-8.0": {
        "C2": "OK 1",  # the same handle value again
        "C3": "OK 0",  # a value that names nothing in the wrong process
        "C14": "OK 1",
        "C15": "OK 0, OK 1",  # nothing, or P3's own descriptor
        "C-reuse": "WSAECONNRESET (10054)",  # a send that was never connected
    },
    "reactos": {
        "C2": "OK 1",
        "C11": "OK",  # the peer already sees FIN after the source's close
        "C12b": "OK",
        "C14": "OK 1",
        "C24": "OK 0",  # WPUCreateSocketHandle is a stub: no non-IFS handles
        "C25": "OK 0",
        "C26": "OK 0",
    },
}


WINSOCK = sorted(name for name, p in PROFILES.items() if p.platform == "winsock")


def test_four_winsock_profiles_and_three_linux_ones_exist_as_data():
    assert WINSOCK == ["documented", "reactos", "windows", "wine-8.0"]
    handoffs = {n: p.linux_handoff for n, p in PROFILES.items() if p.platform == "linux"}
    assert handoffs == {
        "linux-scm-rights": {"scm_rights"},
        "linux-pidfd": {"pidfd_getfd"},
        # A kernel with pidfd_getfd still has SCM_RIGHTS.
        "linux": {"scm_rights", "pidfd_getfd"},
    }
    for p in PROFILES.values():
        assert type(p) is type(DOCUMENTED)


@pytest.mark.parametrize("name", WINSOCK)
def test_scenarios_depart_exactly_where_the_profile_differs(name):
    profile = PROFILES[name]
    found = {}
    for scenario in ALL_SCENARIOS:
        result = run(scenario, Semantics(scenario.config(), scenario.profile(profile)))
        if not result.passed:
            bad = next(s for s in result.steps if not s.ok)
            found[scenario.id] = bad.message.rsplit("model allows ", 1)[-1]
    assert found == DEPARTURES[name]


def test_windows_allows_both_answers_to_a_reused_info():
    scenario = SCENARIOS_BY_ID["C2"]
    sem = Semantics(scenario.config(), PROFILES["windows"])
    result = run(scenario, sem)
    last = result.steps[-1]
    assert {o.result.model_dump()["status"] for o in last.allowed} == {"ok", "error"}


def test_every_differing_knob_cites_its_evidence():
    for p in PROFILES.values():
        if p.name == "documented":
            continue
        differing = {k for k, v in p.knobs().items() if v != DOCUMENTED.knobs()[k]}
        assert differing <= set(p.evidence), (p.name, differing - set(p.evidence))
    windows = PROFILES["windows"]
    assert set(windows.knobs()) <= set(windows.evidence)


def test_reactos_half_closed_socket_refuses_the_target_close():
    """C11 under ReactOS: the source's close ends the shared state; the target still
    materialises, and its later close fails with WSAENOTSOCK (semantics.md B.2)."""
    from wsshare.conformance.fixtures.scenarios import (
        Call,
        Scenario,
        connected_socket,
        err,
        ok,
        startup,
    )
    from wsshare.model import WsaError
    from wsshare.model.actions import CloseSocket, WSADuplicateSocket, WSASocketFromInfo

    scenario = Scenario(
        "reactos-c11",
        "source closes first",
        ("R40",),
        2,
        (
            *startup(1, 2),
            *connected_socket(),
            Call(WSADuplicateSocket(pid=1, handle=1, target_pid=2), ok(0)),
            Call(CloseSocket(pid=1, handle=1), ok()),
            Call(WSASocketFromInfo(pid=2, info=0), ok(1)),
            Call(CloseSocket(pid=2, handle=1), err(WsaError.WSAENOTSOCK)),
        ),
    )
    assert run(scenario, Semantics(scenario.config(), PROFILES["reactos"])).passed
    assert not run(scenario).passed  # documented: the target's close succeeds


@pytest.mark.parametrize("name", sorted(PROFILES))
def test_seed_handoff_at_spi_granularity_under_every_profile(name):
    assert run_spi(SCENARIOS_BY_ID["SEED"], PROFILES[name], "ifs").passed
    through_lsp = run_spi(SCENARIOS_BY_ID["SEED"], PROFILES[name], "lsp")
    if name == "reactos":
        # No WPUCreateSocketHandle: the LSP's socket call hands back a value naming nothing.
        assert through_lsp.failure is not None and "model allows OK 0" in through_lsp.failure
    else:
        assert through_lsp.passed, through_lsp.failure


def test_profiles_cli_lists_profiles_and_differing_knobs(run_wsshare):
    proc = run_wsshare("profiles")
    assert proc.returncode == 0
    for name in PROFILES:
        assert name in proc.stdout
    assert "reuse_outcomes" in proc.stdout
    assert "environmental_errors" not in proc.stdout  # the same in every profile
    assert "environmental_errors" in run_wsshare("profiles", "--all").stdout


# -- wine-8.0: the handle pre-placed at WSADuplicateSocket is a descriptor of the target --


def _wine_preplaced_scenario():
    from wsshare.conformance.fixtures.scenarios import Call, Scenario, err, ok, startup
    from wsshare.model import WsaError
    from wsshare.model.actions import (
        CloseSocket,
        GetSockOpt,
        SetSockOpt,
        WSADuplicateSocket,
        WSASocket,
        WSASocketFromInfo,
    )

    notsock = err(WsaError.WSAENOTSOCK)
    return Scenario(
        "wine-preplaced",
        "an unused info's value names the socket in its target; a use elsewhere lists it",
        ("D1", "D5"),
        3,
        (
            *startup(1, 2, 3),
            Call(WSASocket(pid=3), ok(1)),
            Call(WSADuplicateSocket(pid=3, handle=1, target_pid=2), ok(0)),  # P2 h1
            Call(WSADuplicateSocket(pid=3, handle=1, target_pid=1), ok(1)),  # P1 h1
            # Calls that do not consult ws2_32's socket list act on the pre-placed handle
            # (the live finding: WSADuplicateSocket on it succeeds) ...
            Call(WSADuplicateSocket(pid=2, handle=1, target_pid=3), ok(2)),  # P3 h2
            Call(SetSockOpt(pid=2, handle=1, value="set"), ok()),
            # ... the ones that do refuse it until a WSASocket returns the value.
            Call(GetSockOpt(pid=2, handle=1), notsock),
            Call(CloseSocket(pid=2, handle=1), notsock),
            # P1's info used in P2: its value, read in P2's table, names P2's own
            # pre-placed handle, which the use lists ...
            Call(WSASocketFromInfo(pid=2, info=1), ok(1)),
            Call(GetSockOpt(pid=2, handle=1), ok("set")),
            Call(CloseSocket(pid=2, handle=1), ok()),
            # ... so P2's own info now hands back a value that names nothing.
            Call(WSASocketFromInfo(pid=2, info=0), ok(0)),
            # WSASocket in the target returns the pre-placed slot itself.
            Call(WSASocketFromInfo(pid=3, info=2), ok(2)),
            Call(GetSockOpt(pid=3, handle=2), ok("set")),
        ),
    )


def test_wine_preplaced_handle_is_a_descriptor_of_its_target():
    from wsshare.conformance.fixtures.scenarios import run

    scenario = _wine_preplaced_scenario()
    wine = PROFILES["wine-8.0"]
    assert wine.preplaced_handle_is_descriptor
    assert run(scenario, Semantics(scenario.config(), wine)).passed
    # Without the knob the pre-placed value names nothing until the info is used.
    off = wine.model_copy(update={"preplaced_handle_is_descriptor": False})
    failure = run(scenario, Semantics(scenario.config(), off)).explain()
    assert "WSADuplicateSocket(P2, h1" in failure and "WSAENOTSOCK" in failure, failure
    assert not DOCUMENTED.preplaced_handle_is_descriptor


def _trace(tmp_path, events):
    import json

    header = {
        "format": "wsshare-trace",
        "version": 1,
        "implementation": "wine-8.0",
        "platform": "test",
        "level": "api",
        "recorder": "tests/test_profiles.py",
        "processes": [10, 20],
        "unobserved": ["ipc"],
    }
    path = tmp_path / "trace.jsonl"
    lines = [header] + [{"seq": i, "time": float(i), **e} for i, e in enumerate(events)]
    path.write_text("".join(json.dumps(x) + "\n" for x in lines))
    return str(path)


def test_wine_closed_value_works_again_once_a_duplicate_lands_on_it(tmp_path):
    """The live machine's second form: a reuse returned a closed value (a stale entry
    of the socket list), a later duplicate into that process took the value, and calls
    on it worked; the checker binds nothing to the value, so the model lets it name the
    pre-placed handle no WSASocket has returned yet."""
    from wsshare.conformance.checking.engine import check_file

    def call(pid, name, result="ok", **fields):
        return {"pid": pid, "call": name, "result": result, **fields}

    path = _trace(
        tmp_path,
        [
            call(10, "WSASocket", value=48),
            call(10, "WSADuplicateSocket", args={"handle": 48, "target_pid": 20}, info_digest="a"),
            call(20, "WSASocketFromInfo", value=48, info_digest="a"),
            call(20, "closesocket", args={"handle": 48}),
            call(20, "WSASocketFromInfo", value=48, info_digest="a"),  # names nothing
            call(10, "WSADuplicateSocket", args={"handle": 48, "target_pid": 20}, info_digest="b"),
            call(20, "getsockopt", args={"handle": 48}, value="default"),  # listed (stale)
            call(20, "setsockopt", args={"handle": 48, "value": "set"}),
            call(20, "closesocket", args={"handle": 48}),  # removes the entry, closes it
            call(
                20, "setsockopt", "error", args={"handle": 48, "value": "set"}, error="WSAENOTSOCK"
            ),
            call(20, "WSASocketFromInfo", value=48, info_digest="b"),  # names nothing now
            call(10, "getsockopt", args={"handle": 48}, value="set"),
        ],
    )
    wine = PROFILES["wine-8.0"]
    assert check_file(path, wine).verdict == "conforms"
    off = check_file(path, wine.model_copy(update={"preplaced_handle_is_descriptor": False}))
    assert (off.verdict, off.event_index) == ("violates", 6)

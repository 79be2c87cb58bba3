"""The named profiles: data, with evidence, and the outcomes of C1..C22 that differ
under each."""

import pytest

from wsshare.conformance.scenarios import ALL_SCENARIOS, SCENARIOS_BY_ID, run, run_spi
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


def test_four_winsock_profiles_and_two_linux_ones_exist_as_data():
    assert WINSOCK == ["documented", "reactos", "windows", "wine-8.0"]
    assert {n for n, p in PROFILES.items() if p.platform == "linux"} == {
        "linux-scm-rights",
        "linux-pidfd",
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
    from wsshare.conformance.scenarios import Call, Scenario, connected_socket, err, ok, startup
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

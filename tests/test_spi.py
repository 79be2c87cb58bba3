"""spi granularity: the providers' SPI steps inside each call, providers and layered
chains, and the refinement of the api model."""

import pytest

from wsshare.conformance.fixtures.scenarios import SCENARIOS_BY_ID, SEED, run_spi
from wsshare.conformance.loading import load_config
from wsshare.model import Semantics, reference_explore


def spi_calls(run):
    """{api call: [(SPI function, provider), ...]} in the order the calls were made."""
    out = []
    for pid, action, result, _step, label in run.entries:
        if label is None:
            out.append((pid, action.call, result, []))
        elif label.startswith("↳") and out:
            out[-1][3].append((action.function, action.provider))
    return out


def steps_of(run, call, pid):
    return [steps for p, c, _, steps in spi_calls(run) if c == call and p == pid]


def test_seed_through_an_ifs_provider():
    run = run_spi(SEED, catalog="ifs")
    assert run.passed, run.failure
    assert steps_of(run, "WSASocket", 1) == [[("WSPSocket", 0), ("WPUModifyIFSHandle", 0)]]
    assert steps_of(run, "WSADuplicateSocket", 1) == [[("WSPDuplicateSocket", 0)]]
    # C23: exactly one WPUModifyIFSHandle for the materialised descriptor.
    assert steps_of(run, "WSASocketFromInfo", 2) == [[("WSPSocket", 0), ("WPUModifyIFSHandle", 0)]]
    assert steps_of(run, "closesocket", 1) == [[("WSPCloseSocket", 0)]]


def test_seed_through_a_non_ifs_provider():
    run = run_spi(SEED, catalog="non-ifs")
    assert run.passed, run.failure
    made = [("WSPSocket", 0), ("WPUCreateSocketHandle", 0)]
    assert steps_of(run, "WSASocket", 1) == [made]
    assert steps_of(run, "WSASocketFromInfo", 2) == [made]
    assert steps_of(run, "closesocket", 1) == [[("WSPCloseSocket", 0), ("WPUCloseSocketHandle", 0)]]


def test_seed_through_a_layered_provider():
    run = run_spi(SEED, catalog="lsp")
    assert run.passed, run.failure
    assert steps_of(run, "WSASocketFromInfo", 2) == [
        [
            ("WSPSocket", 1),
            ("WSPSocket", 0),
            ("WPUModifyIFSHandle", 0),
            ("WPUCreateSocketHandle", 1),
        ]
    ]
    assert steps_of(run, "WSADuplicateSocket", 1) == [
        [("WSPDuplicateSocket", 1), ("WSPDuplicateSocket", 0)]
    ]
    assert steps_of(run, "closesocket", 1) == [
        [("WSPCloseSocket", 1), ("WSPCloseSocket", 0), ("WPUCloseSocketHandle", 1)]
    ]


@pytest.mark.parametrize("scenario_id", [f"C{i}" for i in range(23, 31)])
def test_provider_scenario_runs_at_spi_granularity(scenario_id):
    run = run_spi(SCENARIOS_BY_ID[scenario_id])
    assert run.passed, run.failure


def test_c24_second_close_never_reaches_the_provider():
    calls = spi_calls(run_spi(SCENARIOS_BY_ID["C24"]))
    closes = [(r, steps) for p, c, r, steps in calls if c == "closesocket" and p == 2]
    assert [r.status for r, _ in closes] == ["ok", "error"]
    assert closes[0][1] == [("WSPCloseSocket", 0), ("WPUCloseSocketHandle", 0)]
    assert closes[1][1] == []  # ws2_32 answers WSAENOTSOCK itself


def test_c27_and_c28_fail_before_any_provider_step():
    for sid in ("C27", "C28"):
        calls = spi_calls(run_spi(SCENARIOS_BY_ID[sid]))
        failed = [
            steps
            for p, c, r, steps in calls
            if c == "WSASocketFromInfo" and p == 2 and r.status == "error"
        ]
        assert failed and all(steps == [] for steps in failed), sid


def test_c26_layers_pass_the_info_on_and_only_the_last_substitutes():
    """Layer 1 (entry 2) and layer 2 (entry 1) both receive the chain's entry; only the
    last layer hands the base its own entry (R43)."""
    from wsshare.conformance.fixtures.scenarios import run
    from wsshare.model.actions import WSADuplicateSocket, WSASocketFromInfo
    from wsshare.model.spi import plan

    result = run(SCENARIOS_BY_ID["C26"])
    dup = next(
        s for s in result.steps if isinstance(getattr(s.step, "action", None), WSADuplicateSocket)
    )
    world = dup.outcome.world
    steps = plan(world, WSASocketFromInfo(pid=2, info=0))
    passed = [(s.provider, s.info_entry) for s in steps if s.function == "WSPSocket"]
    assert passed == [(2, 2), (1, 2), (0, 0)]
    assert [s.provider for s in steps if s.decides] == [0]


@pytest.mark.parametrize("name", ["spi-lsp", "spi-chain"])
def test_spi_runs_refine_the_api_model(name):
    """Every world an spi run reaches between calls is a world the api model reaches,
    and the other way round: the SPI steps add interleavings, not behaviours."""
    spi_config = load_config(name)
    api_config = spi_config.model_copy(update={"granularity": "api"})
    spi_worlds = reference_explore(Semantics(spi_config)).worlds
    api_worlds = set(reference_explore(Semantics(api_config)).worlds)
    between_calls = {w for w in spi_worlds if not w.calls}
    assert between_calls == api_worlds


def test_handoff_cli_shows_the_spi_steps(run_wsshare):
    proc = run_wsshare("handoff", "--granularity", "spi")
    assert proc.returncode == 0, proc.stderr
    assert "↳ WPUModifyIFSHandle [msafd-tcp] → OK, handle h1" in proc.stdout
    assert "↳ WPUCreateSocketHandle [nonifs-base] → OK, handle h1" in proc.stdout
    assert "↳ WPUCloseSocketHandle [nonifs-base] → OK" in proc.stdout
    lsp = run_wsshare("handoff", "--granularity", "spi", "--provider", "lsp")
    assert "↳ WSPSocket [sample-lsp] → OK" in lsp.stdout

"""The stateful machine on the reference model: generated interleavings conform, failures
are written as traces that replay to the same verdict, the machine works from
observations only, and the coverage figure of tiny is measured.

The machine classes are bound to module names so that hypothesis's printed reproducer
(`state = ModelTiny()` ...) runs in this module."""

from wsshare.conformance.drivers import Call, ModelDriver, model_driver, mutant_driver
from wsshare.conformance.fixtures.mutants import MUTANTS_BY_NAME
from wsshare.conformance.loading import load_config
from wsshare.conformance.stateful import machine as S
from wsshare.conformance.trace import TraceHeader
from wsshare.model import ALL_FAMILIES, Config

TINY = load_config("tiny")
# Every family at once, with bounds small enough for quick runs: the machine's rules for
# IPC, options, events, startup and wrong arguments all get exercised.
EVERYTHING = Config(
    processes=3,
    running_at_start=2,
    startups_at_start=0,
    max_startups=2,
    max_sockets=2,
    max_infos=2,
    max_handles=2,
    channel_capacity=1,
    families=ALL_FAMILIES,
)

ModelTiny = S.model_machine(TINY, name="ModelTiny", module=__name__)
ModelEverything = S.model_machine(
    EVERYTHING,
    name="ModelEverything",
    module=__name__,
    test_settings=S.default_settings(examples=60, steps=40),
)

# The documented model conforms to itself: any violation here is a bug in the machine,
# the checker or the model, and fails with hypothesis's reproducer and a trace file.
TestModelTiny = ModelTiny.TestCase
TestModelEverything = ModelEverything.TestCase


RENAMED_PID = {1100: 4242, 1200: 77, 1300: 9001}
ORIGINAL_PID = {v: k for k, v in RENAMED_PID.items()}


class Renamed(ModelDriver):
    """The model behind other observed values: pids, handle values and socket identities
    that are not the corpus's. The machine must not notice (it may not assume that the
    implementation is the model, nor its numbering)."""

    def start(self):
        session = super().start()
        pids = tuple(RENAMED_PID[p] for p in session.pids)
        header = session.header.model_copy(update={"processes": list(pids)})
        return type(session)(
            pids,
            frozenset(RENAMED_PID[p] for p in session.not_started),
            frozenset(RENAMED_PID[p] for p in session.uninitialised),
            header,
        )

    def run(self, call, choose):
        args = dict(call.args)
        for key in ("to", "sender", "target_pid"):
            if key in args and args[key] in ORIGINAL_PID:
                args[key] = ORIGINAL_PID[args[key]]
        if args.get("handle"):
            args["handle"] = (args["handle"] ^ 0x5A5A0) if args["handle"] > 0xFFFF else 0
        socket = call.socket.removeprefix("obj@") if call.socket else None
        pid = ORIGINAL_PID.get(call.pid, call.pid)
        inner = Call(call.call, pid, args, call.info_digest, socket)
        event = super().run(inner, choose)
        if event is None:
            return None
        update = {"pid": RENAMED_PID.get(event.pid, event.pid) if event.pid else None}
        eargs = dict(event.args)
        for key in ("to", "sender", "target_pid"):
            if key in eargs and eargs[key] in RENAMED_PID:
                eargs[key] = RENAMED_PID[eargs[key]]
        if eargs.get("handle"):
            eargs["handle"] ^= 0x5A5A0
        update["args"] = eargs
        if event.call in ("WSASocket", "WSASocketFromInfo", "accept") and isinstance(
            event.value, int
        ):
            update["value"] = event.value ^ 0x5A5A0
        if event.socket is not None:
            update["socket"] = f"obj@{event.socket}"
        if isinstance(event.value, dict) and "pid" in event.value:
            update["value"] = event.value | {"pid": RENAMED_PID[event.value["pid"]]}
        return event.model_copy(update=update)


ModelRenamed = S.handoff_machine(
    lambda: Renamed(model_driver(TINY).semantics),
    name="ModelRenamed",
    families=TINY.families,
    module=__name__,
    test_settings=S.default_settings(examples=60, steps=40),
)
TestModelRenamed = ModelRenamed.TestCase


def test_a_failure_is_written_as_a_trace_that_replays_to_the_same_verdict(tmp_path, monkeypatch):
    monkeypatch.setenv(S.FAILURE_DIR_ENV, str(tmp_path))
    caught = S.catch(MUTANTS_BY_NAME["bad-info-undocumented"], shrink=False)
    assert caught.caught, "the mutant was not caught"
    assert caught.path is not None and caught.path.parent == tmp_path
    assert str(caught.path) in caught.message
    assert "wsshare check --profile documented" in caught.message
    verdict, index, rules = S.replay(caught.path, S.DOCUMENTED)
    assert (verdict, index, rules) == ("violates", caught.event_index, list(caught.rules))


def test_the_failure_dir_defaults_to_the_temp_dir(monkeypatch):
    monkeypatch.delenv(S.FAILURE_DIR_ENV, raising=False)
    assert S.failure_dir().name == "wsshare-failures"


def test_a_session_header_names_every_pid():
    session = model_driver(EVERYTHING).start()
    assert isinstance(session.header, TraceHeader)
    assert session.header.processes == list(session.pids)
    assert session.not_started == {1300}
    assert session.uninitialised == {1100, 1200}


def test_coverage_of_tiny_is_measured_and_steering_helps():
    # A small budget: the full figure is `wsshare bench stateful` (see the README).
    explored = S.coverage(TINY, config_name="tiny", examples=200, steps=30)
    uniform = S.coverage(TINY, config_name="tiny", examples=200, steps=30, steering=S.UNIFORM)
    print(explored.line())
    print(uniform.line())
    for report in (explored, uniform):
        assert report.outside == 0, "a step of the model driver is no edge of tiny's graph"
        assert (report.states_total, report.edges_total) == (594, 4910)
        assert sum(report.missed.values()) == report.edges_total - report.edges_visited
    assert explored.steering == "explore"
    assert explored.edges_visited > 3 * uniform.edges_visited
    assert explored.states_visited > uniform.states_visited


SPI_LSP = load_config("spi-lsp")
SPI_CHAIN = load_config("spi-chain")

# At spi granularity the machine drives each call's begin, SPI steps and return, with
# other processes' calls in between, over a catalog of IFS, non-IFS and layered
# providers; the model conforms to itself there too.
ModelSpiLsp = S.model_machine(
    SPI_LSP,
    name="ModelSpiLsp",
    module=__name__,
    test_settings=S.default_settings(examples=60, steps=40),
)
ModelSpiChain = S.model_machine(
    SPI_CHAIN,
    name="ModelSpiChain",
    module=__name__,
    test_settings=S.default_settings(examples=40, steps=40),
)
TestModelSpiLsp = ModelSpiLsp.TestCase
TestModelSpiChain = ModelSpiChain.TestCase


def test_the_spi_runs_reach_every_provider_step():
    # spi-lsp's graph (1,909 worlds): begins, every SPI function, returns, and other
    # processes' calls in between; `wsshare bench stateful --config spi-lsp` measures it.
    report = S.coverage(SPI_LSP, config_name="spi-lsp", examples=100, steps=30)
    assert report.outside == 0
    assert report.edges_visited > 0.2 * report.edges_total, report.line()
    functions = ("WSPSocket", "WSPDuplicateSocket", "WSPCloseSocket")
    allocations = ("WPUModifyIFSHandle", "WPUCreateSocketHandle", "WPUCloseSocketHandle")
    for name in (*functions, *allocations):
        assert report.visited.get(f"spi_step {name}", 0) > 0, name
    assert report.visited.get("call_return", 0) > 0


def test_an_spi_failure_replays_to_the_same_verdict(tmp_path, monkeypatch):
    monkeypatch.setenv(S.FAILURE_DIR_ENV, str(tmp_path))
    caught = S.catch(MUTANTS_BY_NAME["skips-wpuclosesockethandle"], shrink=False)
    assert caught.caught and caught.path is not None
    header = caught.path.read_text().splitlines()[0]
    assert '"level":"spi"' in header and '"catalog"' in header
    assert '"call":"spi_step"' in caught.path.read_text()
    verdict, index, rules = S.replay(caught.path, S.DOCUMENTED)
    assert (verdict, index, rules) == ("violates", caught.event_index, list(caught.rules))
    assert "R24" in rules


def test_the_header_lists_the_catalog_as_advertised():
    # A provider that advertises XP1_IFS_HANDLES is listed as an IFS provider (R25): the
    # mutant whose non-IFS provider lies shows it in its SPI steps, not in its header.
    lying = MUTANTS_BY_NAME["non-ifs-advertises-ifs-handles"]
    session = mutant_driver(lying, SPI_LSP).start()
    assert session.header.catalog is not None
    assert [e.handles for e in session.header.catalog] == ["ifs", "ifs", "ifs"]
    honest = model_driver(SPI_LSP).start().header.catalog
    assert honest is not None and [e.handles for e in honest] == ["ifs", "non_ifs", "non_ifs"]


def test_the_explorer_goes_to_the_nearest_state_with_an_untried_call():
    ex = S.Explorer()
    a, b, c = (frozenset({n}) for n in "abc")  # stand-ins for the checker's worlds
    assert ex.choose(a, ["x", "y"], 0) == "x"
    ex.record(a, "x", b)
    assert ex.choose(a, ["x", "y"], 0) == "y"
    ex.record(a, "y", None)
    ex.choose(b, ["z"], 0)
    ex.record(b, "z", c)
    ex.choose(c, ["back", "new"], 0)
    ex.record(c, "back", a)
    ex.end_run(failed=False)
    # From a, every call was made; c still has "new": go a -x-> b -z-> c.
    assert ex.choose(a, ["x", "y"], 0) == "x"
    assert ex.choose(b, ["z"], 0) == "z"
    assert ex.choose(c, ["back", "new"], 0) == "new"
    assert not ex.dead(a, ["x", "y"])
    assert ex.dead(a, ["y"])


def test_the_explorer_forgets_a_failing_run_and_freezes():
    ex = S.Explorer()
    a, b = frozenset({"a"}), frozenset({"b"})
    ex.choose(a, ["x", "y"], 0)
    ex.record(a, "x", b)
    ex.end_run(failed=True)
    # The failing run's moves are not kept, and nothing later is: replays see the same.
    assert ex.frozen and ex.moves == {}
    ex.choose(a, ["x", "y"], 0)
    ex.record(a, "x", b)
    ex.end_run(failed=False)
    assert ex.moves == {} and ex.choose(a, ["x", "y"], 0) == "x"

"""The stateful machine on the reference model: generated interleavings conform, failures
are written as traces that replay to the same verdict, the machine works from
observations only, and the coverage figure of tiny is measured.

The machine classes are bound to module names so that hypothesis's printed reproducer
(`state = ModelTiny()` ...) runs in this module."""

from wsshare.conformance import stateful as S
from wsshare.conformance.drivers import Call, ModelDriver, model_driver
from wsshare.conformance.loading import load_config
from wsshare.conformance.mutants import MUTANTS_BY_NAME
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
    steered = S.coverage(TINY, config_name="tiny", examples=200, steps=30)
    uniform = S.coverage(TINY, config_name="tiny", examples=200, steps=30, steering=S.UNIFORM)
    print(steered.line())
    print(uniform.line())
    for report in (steered, uniform):
        assert report.outside == 0, "a step of the model driver is no edge of tiny's graph"
        assert (report.states_total, report.edges_total) == (594, 4910)
    assert steered.edges_visited > 1.5 * uniform.edges_visited
    assert steered.states_visited > uniform.states_visited

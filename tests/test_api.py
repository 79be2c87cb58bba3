"""The public API, as a user programs against it: the names wsshare.conformance and
wsshare.model export, and what their results say."""

import json
from pathlib import Path

import pytest

import wsshare.conformance as wc
import wsshare.model as wm
from wsshare.conformance import (
    TraceCheck,
    TraceHeader,
    TraceReader,
    check_file,
    check_trace,
    load_config,
    load_profile,
)
from wsshare.model import Semantics, check_model, explore, get_profile

ROOT = Path(__file__).resolve().parent.parent
REUSE = ROOT / "traces" / "synthetic" / "violates-info-usable-twice.jsonl"
C2 = ROOT / "traces" / "synthetic" / "c2.jsonl"


def test_every_exported_name_exists_and_is_documented():
    for module in (wc, wm):
        for name in module.__all__:
            thing = getattr(module, name)
            if callable(thing) and not isinstance(thing, type(json)):
                assert getattr(thing, "__doc__", None), f"{module.__name__}.{name}"


def test_check_file_takes_a_profile_a_name_a_file_or_the_header_hint(tmp_path):
    assert check_file(C2).verdict == "conforms"  # the header's hint: documented
    assert check_file(C2, "wine-8.0").profile == "wine-8.0"
    assert check_file(REUSE, get_profile("windows")).profile == "windows"
    data = get_profile("documented").model_dump(mode="json") | {"name": "mine"}
    mine = tmp_path / "mine.json"
    mine.write_text(json.dumps(data))
    assert check_file(REUSE, str(mine)).profile == "mine"


def test_a_violation_explains_itself_in_the_traces_own_terms():
    result = check_file(REUSE, "documented")
    assert result.verdict == "violates" and result.rule_ids == ["R2", "R3"]
    text = result.violation.to_text()
    # The trace's pid and digest, not the model's P2 and info 0; each rule's statement.
    assert "WSASocketFromInfo(pid 1200, variant=W, info_digest=10a468ad01baed7c)" in text
    assert "P2" not in text
    assert "R2: A special info yields a descriptor in at most one successful" in text
    data = result.to_data()
    json.dumps(data)  # machine-readable as it is
    assert data["violation"]["rules"][0] == {
        "id": "R2",
        "statement": "A special info yields a descriptor in at most one successful WSASocket call.",
    }
    allowed = data["violation"]["candidates"][0]["allowed"][0]
    assert (allowed["pid"], allowed["result"]) == (1200, "WSAEINVAL (10022)")
    assert result.to_text().splitlines()[0].endswith("[documented]: violates R2, R3 at event 6")


def test_an_explanation_names_handles_by_their_observed_values(tmp_path):
    # closesocket of an open handle, failing: the model allowed OK on handle 260.
    header = TraceHeader(implementation="hand")
    events = [
        {"seq": 0, "pid": 10, "call": "WSASocket", "result": "ok", "value": 260},
        {"seq": 1, "pid": 10, "call": "closesocket", "args": {"handle": 260}, "result": "failed"},
    ]
    result = check_trace(header, [wc.TraceEvent.model_validate(e) for e in events])
    assert result.verdict == "violates"
    assert "closesocket(pid 10, handle=260) -> OK" in result.violation.to_text()


def test_check_trace_and_check_file_agree():
    with TraceReader(REUSE) as reader:
        header, lines = reader.header, list(reader)
    in_memory = check_trace(header, lines, "documented", path=str(REUSE))
    on_disk = check_file(REUSE, "documented")
    assert in_memory.to_data() == on_disk.to_data()


def test_trace_check_follows_a_run_as_it_happens():
    with TraceReader(REUSE) as reader:
        header, lines = reader.header, list(reader)
    pids = wc.PidMap([1100, 1200])
    run = TraceCheck(header, get_profile("documented"), pids=pids)
    decided = [run.feed(line.event) for line in lines]
    assert decided[:-1] == [None] * (len(lines) - 1)
    assert decided[-1] is run.result and run.result.event_index == 6
    assert run.feed(lines[0].event) is run.result  # decided stays decided


def test_load_config_and_load_profile_name_what_is_known():
    assert load_config("tiny").processes == 2
    assert load_profile("wine-8.0").reuse_outcomes == {"same_handle"}
    with pytest.raises(wc.InputError, match="known profiles"):
        load_profile("nope")


def test_explore_is_the_engine_and_is_capped_by_default():
    space = explore(Semantics(load_config("tiny")))
    assert (space.states, space.edge_count, space.depth) == (298, 2457, 9)
    assert wm.DEFAULT_MAX_STATES == 1_000_000
    capped = explore(Semantics(load_config("tiny")), max_states=50)
    assert not capped.complete and capped.cap == "max_states"


def test_check_model_asserts_like_stateright():
    check_model(Semantics(load_config("tiny"))).assert_ok()
    leaky = check_model(Semantics(load_config("tiny"), get_profile("reactos")))
    assert leaky.broken == ["descriptors-name-open-sockets"]
    with pytest.raises(AssertionError) as caught:
        leaky.assert_ok()
    message = str(caught.value)
    assert "invariant descriptors-name-open-sockets (R33) broken" in message
    assert "closesocket(P1, h1) -> OK" in message  # the shortest run that breaks it
    cut = check_model(Semantics(load_config("tiny")), max_states=10)
    with pytest.raises(AssertionError, match="INCOMPLETE, stopped at the cap"):
        cut.assert_ok()


def test_the_readmes_python_snippets_run(monkeypatch, capsys):
    monkeypatch.chdir(ROOT)  # the snippets name traces as a user at the top of the repo would
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## From Python", 1)[1].split("\n## ", 1)[0]
    blocks = [b.split("```", 1)[0] for b in section.split("```python\n")[1:]]
    assert len(blocks) == 2
    for block in blocks:
        exec(compile(block, "README.md", "exec"), {"__name__": "readme"})

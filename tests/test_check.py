"""The conformance runner as users drive it: the shipped corpus in manifest mode, the
profile mode's exit codes, reports, and the checker's bindings on hand-written traces."""

import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from wsshare.conformance.checking.engine import check_file
from wsshare.conformance.checking.runner import Job, load_manifest, run_job
from wsshare.conformance.fixtures.corpus import build_corpus, scenario_steps
from wsshare.conformance.fixtures.mutants import MUTANTS_BY_NAME
from wsshare.conformance.fixtures.scenarios import SCENARIOS_BY_ID
from wsshare.conformance.trace import TraceHeader, TraceWriter
from wsshare.model import get_profile

ROOT = Path(__file__).resolve().parent.parent
TRACES = ROOT / "traces"
SYNTHETIC = TRACES / "synthetic"
MANIFEST = load_manifest(SYNTHETIC / "manifest.json")


@pytest.mark.parametrize("entry", MANIFEST.traces, ids=lambda e: e.file)
def test_manifest_entry_holds(entry):
    for profile, expected in entry.expect.items():
        job = Job(str(SYNTHETIC / entry.file), get_profile(profile), expected, entry.file)
        outcome = run_job(job)
        assert outcome.error is None, outcome.error
        assert outcome.mismatch is None, outcome.mismatch


@pytest.mark.parametrize(
    "entry", [e for e in MANIFEST.traces if e.source.startswith("mutant ")], ids=lambda e: e.file
)
def test_violation_is_where_the_mutant_departs(entry):
    """Independent of the checker: the manifest's event is no later than the one where
    the mutant's run leaves the scenario's expectation (a trace's socket identities may
    show the fault sooner), and the rules named include one the mutant breaks."""
    name, _, check = entry.source.removeprefix("mutant ").partition(" via ")
    mutant = MUTANTS_BY_NAME[name]
    expected = entry.expect["documented"]
    assert set(mutant.rules) & set(expected.rules), (mutant.rules, expected.rules)
    if not check.startswith("explore:"):
        scenario = SCENARIOS_BY_ID[check]
        _, departed = scenario_steps(scenario, mutant.build(scenario.config(), scenario.profile()))
        assert departed is not None and expected.event <= departed


def test_every_section_c_scenario_has_a_conforming_trace():
    files = {e.file for e in MANIFEST.traces if e.expect["documented"].verdict == "conforms"}
    assert {f"c{i}.jsonl" for i in range(1, 23)} <= files
    assert "seed.jsonl" in files


def test_committed_corpus_is_what_the_generator_writes(tmp_path):
    entries = build_corpus(tmp_path)
    written = sorted(p.name for p in tmp_path.glob("*.jsonl"))
    assert written == sorted(p.name for p in SYNTHETIC.glob("*.jsonl"))
    for name in written:
        assert (tmp_path / name).read_bytes() == (SYNTHETIC / name).read_bytes(), name
    assert [e.file for e in entries] == [e.file for e in MANIFEST.traces]


def test_check_traces_folder_passes_in_manifest_mode(run_wsshare):
    """The README's main job: every manifest under traces/ holds."""
    proc = run_wsshare("check", str(TRACES))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.strip().splitlines()[-1].endswith(" passed, 0 failed")
    synthetic = run_wsshare("check", str(SYNTHETIC))
    last = synthetic.stdout.strip().splitlines()[-1]
    assert last == f"{len(MANIFEST.traces)} passed, 0 failed"


def test_manifest_mismatch_says_what_was_expected(tmp_path, run_wsshare):
    shutil.copy(SYNTHETIC / "c2.jsonl", tmp_path / "c2.jsonl")
    manifest = {
        "manifest": 1,
        "traces": [
            {
                "file": "c2.jsonl",
                "expect": {"documented": {"verdict": "violates", "rules": ["R3"], "event": 12}},
            }
        ],
    }
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    proc = run_wsshare("check", str(tmp_path))
    assert proc.returncode == 1
    assert "expected violates R3 at event 12, got conforms" in proc.stdout


def test_profile_mode_exit_codes(run_wsshare):
    ok = run_wsshare("check", "--profile", "documented", str(SYNTHETIC / "c1.jsonl"))
    assert ok.returncode == 0, ok.stdout
    bad = run_wsshare(
        "check", "--profile", "documented", str(SYNTHETIC / "violates-info-usable-twice.jsonl")
    )
    assert bad.returncode == 1
    assert "rules broken: R2, R3" in bad.stdout
    assert "matched prefix: 6 event(s)" in bad.stdout
    undecided = run_wsshare(
        "check", "--profile", "documented", "--max-candidates", "0", str(SYNTHETIC / "c1.jsonl")
    )
    assert undecided.returncode == 3
    assert "max_candidates=0" in undecided.stdout


def test_profile_all_lists_accepting_profiles_and_fails_when_none_accepts(run_wsshare):
    # Exit 1 when a trace is accepted by no profile (it used to be 0, which hid it).
    proc = run_wsshare(
        "check", "--profile", "all", str(SYNTHETIC / "violates-info-usable-twice.jsonl")
    )
    assert proc.returncode == 1
    assert "accepted by no profile" in proc.stdout
    accepted = run_wsshare("check", "--profile", "all", str(SYNTHETIC / "c1.jsonl"))
    assert accepted.returncode == 0
    assert "accepted by documented, windows, wine-8.0, reactos" in accepted.stdout


def test_bad_trace_is_one_clean_line_and_exit_2(tmp_path, run_wsshare):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"format":"wsshare-trace","version":1,"implementation":"x"}\n{"seq": 0,\n')
    proc = run_wsshare("check", "--profile", "documented", str(bad))
    assert proc.returncode == 2
    assert f"{bad}:2" in proc.stdout
    assert "Traceback" not in proc.stdout + proc.stderr


def test_unknown_profile_and_missing_path_exit_2(run_wsshare):
    proc = run_wsshare("check", "--profile", "nt4", str(SYNTHETIC))
    assert proc.returncode == 2 and "unknown profile 'nt4'" in proc.stderr
    proc = run_wsshare("check", "no/such/folder")
    assert proc.returncode == 2 and "no such file or folder" in proc.stderr


def test_json_junit_and_coverage_reports(tmp_path, run_wsshare):
    junit = tmp_path / "report.xml"
    proc = run_wsshare(
        "check", str(SYNTHETIC), "--json", "--junit", str(junit), "--coverage", "--jobs", "2"
    )
    assert proc.returncode == 0
    data = json.loads(proc.stdout)
    assert data["mode"] == "manifest" and data["failed"] == 0
    assert len(data["results"]) == len(MANIFEST.traces)
    assert "R2" in data["coverage"]["rules_exercised"]
    assert "WSADuplicateSocket" in data["coverage"]["calls_exercised"]
    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite is not None
    assert int(suite.get("tests")) == len(MANIFEST.traces)
    assert int(suite.get("failures")) == 0


def test_parallel_and_serial_checks_agree(run_wsshare):
    serial = json.loads(run_wsshare("check", str(SYNTHETIC), "--json", "--jobs", "1").stdout)
    parallel = json.loads(run_wsshare("check", str(SYNTHETIC), "--json", "--jobs", "2").stdout)

    def key(data):
        return [(r["file"], r["verdict"], r["rules"], r["event"]) for r in data["results"]]

    assert key(serial) == key(parallel)


def test_schema_command_prints_the_json_schema(run_wsshare):
    proc = run_wsshare("schema")
    schema = json.loads(proc.stdout)
    assert {"TraceHeader", "TraceEvent"} <= set(schema["$defs"])


def test_pytest_plugin_makes_each_trace_an_item(tmp_path, run_wsshare):
    import subprocess
    import sys

    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-v",
            "-o",
            "addopts=",
            "-p",
            "no:cacheprovider",
            "--wsshare-traces",
            str(SYNTHETIC),
            str(tmp_path),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-2000:]
    assert proc.stdout.count(" PASSED") == len(MANIFEST.traces), proc.stdout[-2000:]
    assert "c2.jsonl[documented] PASSED" in proc.stdout


def test_render_markdown_and_html(tmp_path, run_wsshare):
    md = run_wsshare("render", str(SYNTHETIC / "seed.jsonl"))
    assert md.returncode == 0 and "| Step | Source process | IPC | Target process |" in md.stdout
    out = tmp_path / "chart.html"
    html = run_wsshare(
        "render",
        "--format",
        "html",
        "--check",
        "-o",
        str(out),
        str(SYNTHETIC / "violates-info-usable-twice.jsonl"),
    )
    assert html.returncode == 0
    text = out.read_text()
    assert "<svg" in text and "violation" in text


def test_bench_check_prints_figures(run_wsshare):
    proc = run_wsshare("bench", "check", "--sizes", "300", "--partial", "300", "--json")
    assert proc.returncode == 0, proc.stderr
    rungs = json.loads(proc.stdout)
    assert [r["name"] for r in rungs] == ["full-300", "partial-300"]
    assert all(r["verdict"] == "conforms" and r["events_per_second"] > 0 for r in rungs)


# -- the checker's bindings, on traces written by hand ------------------------------------


def _trace(path: Path, events: list[dict], **header) -> Path:
    with TraceWriter(path, TraceHeader(implementation="hand", **header)) as w:
        for e in events:
            w.event(**e)
    return path


P, Q = 700, 900


def _connected(pid=P, handle=8, sock="a"):
    return [
        {"pid": pid, "call": "WSASocket", "result": "ok", "value": handle, "socket": sock},
        {"pid": pid, "call": "connect", "args": {"handle": handle}, "result": "ok"},
    ]


def test_reused_handle_value_names_the_new_socket(tmp_path):
    events = [
        *_connected(),
        {"pid": P, "call": "closesocket", "args": {"handle": 8}, "result": "ok"},
        {
            "pid": P,
            "call": "send",
            "args": {"handle": 8},
            "result": "error",
            "error": "WSAENOTSOCK",
        },
        {"pid": P, "call": "WSASocket", "result": "ok", "value": 8, "socket": "b"},
        {
            "pid": P,
            "call": "send",
            "args": {"handle": 8},
            "result": "error",
            "error": "WSAENOTCONN",
        },
    ]
    assert check_file(str(_trace(tmp_path / "t.jsonl", events))).verdict == "conforms"


def test_one_socket_identity_cannot_name_two_sockets(tmp_path):
    events = [
        *_connected(P, 8, "a"),
        {"pid": P, "call": "WSASocket", "result": "ok", "value": 12, "socket": "a"},
    ]
    result = check_file(str(_trace(tmp_path / "t.jsonl", events)))
    assert result.verdict == "violates" and result.event_index == 2


def test_second_use_of_the_same_digest_is_caught(tmp_path):
    events = [
        *_connected(),
        {
            "pid": P,
            "call": "WSADuplicateSocket",
            "args": {"handle": 8, "target_pid": Q},
            "result": "ok",
            "info_digest": "d1",
        },
        {"pid": Q, "call": "WSASocketFromInfo", "result": "ok", "value": 4, "info_digest": "d1"},
        {"pid": Q, "call": "WSASocketFromInfo", "result": "ok", "value": 16, "info_digest": "d1"},
    ]
    result = check_file(str(_trace(tmp_path / "t.jsonl", events)))
    assert result.verdict == "violates"
    assert (result.event_index, result.rule_ids) == (4, ["R2", "R3"])


def test_without_digests_the_checker_finds_which_info_was_meant(tmp_path):
    events = [
        *_connected(),
        {
            "pid": P,
            "call": "WSADuplicateSocket",
            "args": {"handle": 8, "target_pid": Q},
            "result": "ok",
        },
        {
            "pid": P,
            "call": "WSADuplicateSocket",
            "args": {"handle": 8, "target_pid": P},
            "result": "ok",
        },
        {"pid": Q, "call": "WSASocketFromInfo", "result": "ok", "value": 4},
        {"pid": P, "call": "WSASocketFromInfo", "result": "ok", "value": 12},
        {"pid": Q, "call": "WSASocketFromInfo", "result": "error", "error": "WSAEINVAL"},
    ]
    assert check_file(str(_trace(tmp_path / "t.jsonl", events))).verdict == "conforms"


def test_unobserved_peer_data_is_let_in_before_a_recv(tmp_path):
    events = [
        *_connected(),
        {"pid": P, "call": "recv", "args": {"handle": 8}, "result": "ok", "value": "data"},
    ]
    seen = check_file(str(_trace(tmp_path / "seen.jsonl", events)))
    assert seen.verdict == "violates"  # the peer's data must be in the trace ...
    unseen = check_file(str(_trace(tmp_path / "unseen.jsonl", events, unobserved=["peer"])))
    assert unseen.verdict == "conforms"  # ... unless the recorder says it cannot see it


def test_a_call_split_in_two_takes_effect_in_between(tmp_path):
    events = [
        *_connected(),
        {"pid": P, "tid": 1, "phase": "call", "call": "recv", "args": {"handle": 8}},
        {"pid": None, "call": "peer_send", "result": "ok", "socket": "a"},
        {
            "pid": P,
            "tid": 1,
            "phase": "return",
            "call": "recv",
            "args": {"handle": 8},
            "result": "ok",
            "value": "data",
        },
        {"pid": P, "tid": 2, "phase": "call", "call": "getsockopt", "args": {"handle": 8}},
        {
            "pid": P,
            "tid": 3,
            "call": "setsockopt",
            "args": {"handle": 8, "value": "set"},
            "result": "ok",
        },
        {
            "pid": P,
            "tid": 2,
            "phase": "return",
            "call": "getsockopt",
            "args": {"handle": 8},
            "result": "ok",
            "value": "set",
        },
    ]
    assert check_file(str(_trace(tmp_path / "t.jsonl", events))).verdict == "conforms"


def test_a_released_sockets_identity_may_name_a_new_socket(tmp_path):
    """Systems reuse identities (Linux reuses inodes): once a socket is released, a new
    socket may carry its identity; while it is open, no other socket may."""
    events = [
        *_connected(P, 8, "a"),
        {"pid": P, "call": "closesocket", "args": {"handle": 8}, "result": "ok", "socket": "a"},
        {"pid": P, "call": "WSASocket", "result": "ok", "value": 8, "socket": "a"},
    ]
    assert check_file(str(_trace(tmp_path / "t.jsonl", events))).verdict == "conforms"


def test_a_recv_cancelled_by_its_own_close_returns_wsaeintr(tmp_path):
    """C21's end: a recv blocks in thread 1, thread 2 closes the handle, and the recv
    returns WSAEINTR (R35), although the handle's binding ended at the close."""
    events = [
        *_connected(),
        {"pid": P, "tid": 1, "phase": "call", "call": "recv", "args": {"handle": 8}},
        {"pid": P, "tid": 2, "call": "closesocket", "args": {"handle": 8}, "result": "ok"},
        {
            "pid": P,
            "tid": 1,
            "phase": "return",
            "call": "recv",
            "args": {"handle": 8},
            "result": "error",
            "error": "WSAEINTR",
        },
    ]
    assert check_file(str(_trace(tmp_path / "t.jsonl", events))).verdict == "conforms"
    # Without the close nothing cancels the recv: WSAEINTR is not explained.
    del events[-2]
    assert check_file(str(_trace(tmp_path / "u.jsonl", events))).verdict == "violates"


def test_rules_table_names_the_traces_that_break_each_rule(run_wsshare):
    proc = run_wsshare(
        "check",
        "--profile",
        "documented",
        "--rules-table",
        str(SYNTHETIC / "c1.jsonl"),
        str(SYNTHETIC / "violates-info-usable-twice.jsonl"),
    )
    assert proc.returncode == 1  # one of them violates
    rows = {
        line.split(" | ")[0].strip("| "): line
        for line in proc.stdout.splitlines()
        if line.startswith("| R")
    }
    assert "violates-info-usable-twice" in rows["R2"]
    assert rows["R26"].endswith("| none | yes |")  # C1 exercises it and nothing breaks it

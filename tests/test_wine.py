"""Real Winsock under Wine: the agent builds, scenarios record live, and the verdicts of a
fresh recording are the ones the committed manifest (traces/real/wine) states.

The committed traces are never rewritten here: recordings go to tmp_path. Without Wine or
MinGW the tests skip locally and fail under CI=true, both naming the packages to install.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from wsshare.conformance.checking.engine import check_file
from wsshare.conformance.checking.runner import load_manifest
from wsshare.conformance.drivers.wine import harness
from wsshare.conformance.drivers.wine.harness import INSTALL_HINT, Toolchain, WineUnavailable
from wsshare.conformance.drivers.wine.record import Recorded, check, record
from wsshare.conformance.drivers.wine.scenarios import SCENARIOS, Expect, WineScenario
from wsshare.model import get_profile

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "traces" / "real" / "wine"

# The seed's handoff and error paths whose verdicts differ between the profiles, so a
# change in Wine or in either profile shows: bad pids and a NULL info (both conform),
# use in the wrong process (documented: R4), an exited target (WSAEINVAL under both),
# and the double close after a reuse (both profiles violated, at different events).
LIVE = ["seed", "bad-pid", "null-info", "wrong-process", "exited-target", "reuse-double-close"]
# And where Wine answers otherwise than the pages: send on sockets never connected (one
# blocks, so the recording ends a process from outside), and altered info bytes.
LIVE += ["send-unconnected", "send-listening", "altered-info"]


@pytest.fixture(scope="session")
def wine_env(unavailable) -> harness.WineEnv:
    """The toolchain, the agent and an initialised prefix, once per session (the first
    `wineboot --init` of a fresh prefix takes several seconds)."""
    try:
        return harness.WineEnv()
    except WineUnavailable as e:
        unavailable(str(e))


def test_missing_mingw_names_the_packages(monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(WineUnavailable) as caught:
        Toolchain.find()
    assert "x86_64-w64-mingw32-gcc" in str(caught.value)
    assert INSTALL_HINT in str(caught.value)


def test_agent_is_rebuilt_when_its_source_changes(wine_env, tmp_path):
    exe, digest = harness.build_agent(tmp_path, wine_env.tools)
    assert exe.is_file() and digest in exe.name
    built = exe.stat().st_mtime_ns
    again, _ = harness.build_agent(tmp_path, wine_env.tools)
    assert again == exe and again.stat().st_mtime_ns == built  # cached, not recompiled
    edited = tmp_path / "agent.c"
    edited.write_text(harness.AGENT_SOURCE.read_text() + "\n/* edited */\n")
    other, other_digest = harness.build_agent(tmp_path, wine_env.tools, edited)
    assert other != exe and other_digest != digest and other.is_file()


def test_catalogue_and_manifest_list_the_same_scenarios():
    manifest = load_manifest(CORPUS / "manifest.json")
    listed = {e.file for e in manifest.traces}
    assert listed == {f"{name}.jsonl" for name in SCENARIOS}
    assert {p.name for p in CORPUS.glob("*.jsonl")} == listed
    for entry in manifest.traces:
        assert set(entry.expect) == {"documented", "wine-8.0"}, entry.file


def _shape(path: Path) -> list[tuple[str, str, str, str | None]]:
    """The events of a trace with what differs between runs left out (pids, handle
    values, ports, times, digests), the pid replaced by the process's role, and the
    peer's FINs left out (when one arrives is timing)."""
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    roles = {pid: f"P{i + 1}" for i, pid in enumerate(lines[0]["processes"])}
    return [
        (
            roles.get(e.get("pid"), "peer"),
            e["call"],
            e.get("result", e.get("phase")),
            e.get("error"),
        )
        for e in lines[1:]
        if e["call"] != "peer_sees_close"
    ]


@pytest.mark.parametrize("name", LIVE)
def test_live_recording_gets_the_manifest_verdicts(wine_env, tmp_path, name):
    expected = {e.file: e.expect for e in load_manifest(CORPUS / "manifest.json").traces}
    recorded = record(wine_env, SCENARIOS[name], tmp_path)
    # The same calls with the same results as the committed recording: Wine behaves as
    # it did when the corpus was made, not merely to the same verdict. (First, so that a
    # verdict that changed with the model does not hide a change in Wine.)
    assert _shape(recorded.path) == _shape(CORPUS / f"{name}.jsonl")
    live, committed = (
        p.read_text().count('"call":"peer_sees_close"')
        for p in (recorded.path, CORPUS / f"{name}.jsonl")
    )
    assert live == committed, "the peer saw a different number of FINs"
    for profile, want in expected[f"{name}.jsonl"].items():
        got = check_file(str(recorded.path), get_profile(profile))
        assert (got.verdict, sorted(got.rule_ids), got.event_index) == (
            want.verdict,
            sorted(want.rules),
            want.event,
        ), f"{name} [{profile}]"


def test_a_wrong_expectation_is_caught(wine_env, tmp_path):
    """The comparison above can fail: the seed's trace does not violate anything, so an
    expectation saying it does is reported as a difference."""
    seed = SCENARIOS["seed"]
    wrong = WineScenario(
        seed.name, seed.title, seed.run, {"documented": Expect("violates", ("R3",))}, ipc=True
    )
    done = record(wine_env, wrong, tmp_path)
    problems = check(Recorded(wrong, done.path, done.marks, done.seconds))
    assert problems and "expected violates R3, got conforms" in problems[0]


def test_recording_some_scenarios_keeps_the_other_manifest_entries(tmp_path):
    """`record NAME...` rewrites those entries only, in the catalogue's order; an entry
    whose scenario is no longer in the catalogue goes."""
    from wsshare.conformance.drivers.wine.record import write_manifest

    kept = {"file": "seed.jsonl", "description": "as it was", "expect": {}}
    gone = {"file": "no-such-scenario.jsonl", "description": "", "expect": {}}
    old = {"manifest": 1, "traces": [{"file": "c1.jsonl", "expect": {}}, gone, kept]}
    (tmp_path / "manifest.json").write_text(json.dumps(old))
    reuse = SCENARIOS["reuse"]
    write_manifest(tmp_path, [Recorded(reuse, tmp_path / "reuse.jsonl", {"second use": 6}, 0.0)])
    traces = json.loads((tmp_path / "manifest.json").read_text())["traces"]
    assert [t["file"] for t in traces] == ["seed.jsonl", "c1.jsonl", "reuse.jsonl"]
    assert traces[0] == kept
    assert traces[2]["expect"]["documented"] == {
        "verdict": "violates",
        "rules": ["R2", "R3"],
        "event": 6,
    }


def test_altered_info_bytes_carry_their_own_digest():
    marker = harness.WINE_INFO_MARKER.to_bytes(4, "little").hex()
    raw = "66000200" + "00000000" + "38000000" + marker + "00" * (harness.INFO_SIZE - 16)
    info = harness.Info(raw, harness.info_digest(raw))
    cleared = info.altered(service_flags4=0)
    assert cleared.hex == raw[:24] + "00000000" + raw[32:]
    assert cleared.digest == harness.info_digest(cleared.hex) != info.digest
    moved = info.altered(service_flags3=0x7FF0)
    assert harness.service_flags(moved.hex, harness.SERVICE_FLAGS3_OFFSET) == 0x7FF0
    assert harness.service_flags(moved.hex, harness.SERVICE_FLAGS4_OFFSET) == 0xFF00FF00
    with pytest.raises(ValueError, match="the info's own"):
        info.altered(service_flags3=0x38)
    assert harness.Info.zeros().hex == "00" * harness.INFO_SIZE

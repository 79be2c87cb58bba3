"""Record the catalogue under Wine into a folder with its manifest, and check it.

`traces/real/wine/record` runs `main`. Each scenario is recorded into `<name>.jsonl`; the
manifest's expectations come from the catalogue (scenarios.py), with each violation's
event index resolved from the mark the scenario set, so a re-recording that shifts an
event shifts the index with it. Recording some scenarios rewrites their entries and keeps
the others', so a new scenario joins the corpus without re-recording the rest. After
writing, every trace is checked under each profile of its expectations and any difference
from the catalogue is reported (exit 1): a recording that no longer gets the verdict the
catalogue states is a finding, never something to paper over by rewriting the
expectation.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wsshare.model import get_profile

from ...checking.engine import check_file
from ...checking.runner import MANIFEST, Expectation, compare
from .harness import Recording, WineEnv, WineUnavailable
from .scenarios import SCENARIOS, WineScenario

DEFAULT_OUT = Path(__file__).resolve().parents[3] / "traces" / "real" / "wine"


@dataclass
class Recorded:
    scenario: WineScenario
    path: Path
    marks: dict[str, int]
    seconds: float

    def expectations(self) -> dict[str, Expectation]:
        """The catalogue's expectations with marks resolved to event indices."""
        found: dict[str, Expectation] = {}
        for profile, e in self.scenario.expect.items():
            event = None
            if e.at is not None:
                if e.at not in self.marks:
                    raise KeyError(f"{self.scenario.name}: the run set no mark {e.at!r}")
                event = self.marks[e.at]
            found[profile] = Expectation(verdict=e.verdict, rules=list(e.rules), event=event)
        return found


def record(env: WineEnv, s: WineScenario, out: Path) -> Recorded:
    """Run one scenario and write its trace into `out`."""
    start = time.perf_counter()
    path = out / f"{s.name}.jsonl"
    rec = Recording(env, path, s.processes, record_ipc=s.ipc)
    try:
        rec.open(f"wsshare.conformance.drivers.wine (scenario {s.name}, agent {env.agent_hash})")
        s.run(rec)
    finally:
        rec.close()
    return Recorded(s, path, dict(rec.marks), time.perf_counter() - start)


def check(recorded: Recorded) -> list[str]:
    """Differences between the checker's verdicts and the catalogue's, in words."""
    problems = []
    for profile, expected in recorded.expectations().items():
        result = check_file(str(recorded.path), get_profile(profile))
        mismatch = compare(expected, result)
        if mismatch is not None:
            problems.append(f"{recorded.path.name} [{profile}]: {mismatch}")
    return problems


def manifest_entry(recorded: Recorded) -> dict[str, Any]:
    s = recorded.scenario
    description = s.title + (f" -- contradicts the wine-8.0 profile: {s.note}" if s.note else "")
    return {
        "file": recorded.path.name,
        "description": description,
        "source": f"recorded under Wine 8.0 by traces/real/wine/record (scenario {s.name})",
        "expect": {
            profile: e.model_dump(exclude_defaults=True)
            for profile, e in recorded.expectations().items()
        },
    }


def write_manifest(out: Path, recorded: list[Recorded]) -> None:
    """The manifest of `out` with the entries of `recorded` written afresh; the entries of
    scenarios not recorded this time stay as they were. Entries follow the catalogue's
    order; an entry whose scenario left the catalogue is dropped (its file is not)."""
    entries: dict[str, dict[str, Any]] = {}
    path = out / MANIFEST
    if path.exists():
        for entry in json.loads(path.read_text(encoding="utf-8"))["traces"]:
            entries[entry["file"]] = entry
    for r in recorded:
        entries[r.path.name] = manifest_entry(r)
    data = {
        "manifest": 1,
        "description": "Real Winsock traces recorded under Wine 8.0 (one agent.exe per "
        "process, the harness as IPC and remote peer); expected verdicts under the "
        "documented and wine-8.0 profiles.",
        "traces": [entries[f"{name}.jsonl"] for name in SCENARIOS if f"{name}.jsonl" in entries],
    }
    path.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="record", description="Record the Wine scenarios as wsshare traces."
    )
    parser.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, help="folder (default: %(default)s)"
    )
    parser.add_argument("names", nargs="*", help="scenarios to record (default: all)")
    parser.add_argument("--list", action="store_true", help="list the scenarios and exit")
    args = parser.parse_args(argv)
    if args.list:
        for s in SCENARIOS.values():
            print(f"{s.name:24} {s.title}")
        return 0
    unknown = [n for n in args.names if n not in SCENARIOS]
    if unknown:
        print(f"record: unknown scenario(s): {', '.join(unknown)}", file=sys.stderr)
        return 2
    try:
        start = time.perf_counter()
        env = WineEnv()
        print(
            f"agent built and prefix ready in {time.perf_counter() - start:.1f} s ({env.version})"
        )
    except WineUnavailable as e:
        print(f"record: {e}", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    chosen = [SCENARIOS[n] for n in args.names] if args.names else list(SCENARIOS.values())
    recorded = []
    problems: list[str] = []
    for s in chosen:
        r = record(env, s, args.out)
        recorded.append(r)
        found = check(r)
        problems += found
        print(f"{'FAIL' if found else 'ok  '} {s.name} ({r.seconds:.1f} s)")
    write_manifest(args.out, recorded)
    for p in problems:
        print(p, file=sys.stderr)
    return 1 if problems else 0

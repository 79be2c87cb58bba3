"""Checking many traces: manifests of expected verdicts, profile choice, parallel runs.

A manifest (`manifest.json` in a folder) lists the traces of that folder with their
expected verdict per profile: `conforms`, or `violates` with the rule ids and the 0-based
index of the event that breaks them, or `unknown`. In manifest mode a check passes when
the verdict, the rules and the event index all match, so a corpus of known violations is
a passing corpus.

The profile for a trace is, in order: the one the user names, the manifest's, the one
the trace's header hints at, `documented`.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from wsshare.model import PROFILES, Config, Profile, get_profile, make_semantics

from ..loading import InputError, format_validation_error, load_profile
from ..trace import TraceError, TraceReader
from .engine import DEFAULT_MAX_CANDIDATES, CheckResult, check_file

MANIFEST = "manifest.json"


class Expectation(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    verdict: Literal["conforms", "violates", "unknown"]
    rules: list[str] = Field(default_factory=list)
    event: int | None = None


class ManifestEntry(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    file: str
    description: str = ""
    source: str = ""
    expect: dict[str, Expectation]


class Manifest(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    manifest: Literal[1] = 1
    description: str = ""
    traces: list[ManifestEntry]


def load_manifest(path: Path) -> Manifest:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise InputError(f"{path}:{e.lineno}: invalid JSON: {e.msg}") from None
    except UnicodeDecodeError:
        raise InputError(f"{path}: not UTF-8 text") from None
    try:
        manifest = Manifest.model_validate(data)
    except ValidationError as e:
        raise InputError(format_validation_error(e, str(path))) from None
    for entry in manifest.traces:
        for name in entry.expect:
            if name not in PROFILES:
                known = ", ".join(sorted(PROFILES))
                raise InputError(f"{path}: {entry.file}: unknown profile {name!r} (known: {known})")
        if not (path.parent / entry.file).is_file():
            raise InputError(f"{path}: {entry.file}: listed, but there is no such file")
    return manifest


@dataclass(frozen=True)
class Job:
    """One trace under one profile, with what the manifest expects, if anything.
    `spec` is the profile itself (a named one, or one a user's file describes)."""

    path: str
    spec: Profile
    expected: Expectation | None = None
    display: str = ""

    @property
    def profile(self) -> str:
        return self.spec.name


@dataclass
class JobResult:
    """A job's result: the check, or the bad-input error that stopped it."""

    job: Job
    result: CheckResult | None = None
    error: str | None = None
    seconds: float = 0.0
    mismatch: str | None = None  # manifest mode: how the result differs from the manifest

    @property
    def passed(self) -> bool:
        if self.error is not None:
            return False
        if self.job.expected is not None:
            return self.mismatch is None
        return self.result is not None and self.result.verdict == "conforms"


@dataclass
class Plan:
    jobs: list[Job] = field(default_factory=list)
    manifest_mode: bool = False


def _traces_under(folder: Path) -> Iterator[Path]:
    yield from sorted(p for p in folder.rglob("*.jsonl") if p.is_file())


def _hint(path: Path) -> str:
    try:
        with TraceReader(path) as reader:
            hint = reader.header.profile_hint
    except TraceError:
        return "documented"  # the check itself will report the bad input
    return hint if hint in PROFILES else "documented"


def _calls_of(platform: str) -> frozenset[str]:
    profile = next(p for p in PROFILES.values() if p.platform == platform)
    return make_semantics(Config.unbounded(1), profile).calls()


def trace_platform(path: Path) -> str | None:
    """The platform a trace was recorded on, from its first call that only one platform
    has (the header's free-text fields say nothing reliable); else its profile hint's;
    None when nothing tells (bad input is reported by the check itself)."""
    winsock, linux = _calls_of("winsock"), _calls_of("linux")
    try:
        with TraceReader(path) as reader:
            hint = PROFILES.get(reader.header.profile_hint or "")
            for line in reader:
                call = line.event.call
                if call in winsock and call not in linux:
                    return "winsock"
                if call in linux and call not in winsock:
                    return "linux"
    except TraceError:
        return None
    return hint.platform if hint is not None else None


def _profiles_for(path: Path, profile: str | None, chosen: Profile | None) -> list[Profile]:
    """The profiles a trace outside a manifest is checked under: the one named, every
    profile of the trace's platform for `all`, else its hint."""
    if chosen is not None:
        return [chosen]
    if profile == "all":
        platform = trace_platform(path)
        return [p for p in PROFILES.values() if platform in (None, p.platform)]
    return [get_profile(_hint(path))]


def plan(paths: list[str], profile: str | None) -> Plan:
    """Decide which trace is checked under which profile, and against what."""
    # fail early on a profile that does not exist, naming the known profiles
    chosen = load_profile(profile) if profile is not None and profile != "all" else None
    result = Plan()
    for raw in paths:
        root = Path(raw)
        if not root.exists():
            raise InputError(f"{raw}: no such file or folder")
        if root.is_file():
            for spec in _profiles_for(root, profile, chosen):
                result.jobs.append(Job(str(root), spec, None, str(root)))
            continue
        listed: set[Path] = set()
        if profile is None:
            for manifest_path in sorted(root.rglob(MANIFEST)):
                manifest = load_manifest(manifest_path)
                result.manifest_mode = True
                for entry in manifest.traces:
                    trace = (manifest_path.parent / entry.file).resolve()
                    listed.add(trace)
                    for name, expectation in entry.expect.items():
                        shown = os.path.relpath(trace, root)
                        job = Job(str(trace), get_profile(name), expectation, shown)
                        result.jobs.append(job)
        for trace in _traces_under(root):
            if trace.resolve() in listed:
                continue
            shown = os.path.relpath(trace, root)
            for spec in _profiles_for(trace, profile, chosen):
                result.jobs.append(Job(str(trace), spec, None, shown))
    if not result.jobs:
        raise InputError(f"no traces (*.jsonl) found in {', '.join(paths)}")
    return result


def compare(expected: Expectation, result: CheckResult) -> str | None:
    """None when the result matches the manifest, else what differs, in words."""

    def said(verdict: str, rules: list[str], event: int | None) -> str:
        if verdict != "violates":
            return verdict
        where = f" at event {event}" if event is not None else ""
        return f"violates {', '.join(rules) or '(no rule)'}{where}"

    got = said(result.verdict, result.rule_ids, result.event_index)
    want = said(expected.verdict, expected.rules, expected.event)
    if expected.verdict != result.verdict:
        return f"expected {want}, got {got}"
    if expected.verdict == "violates":
        if expected.event is not None and expected.event != result.event_index:
            return f"expected {want}, got {got}"
        if expected.rules and sorted(expected.rules) != sorted(result.rule_ids):
            return f"expected {want}, got {got}"
    return None


def run_job(job: Job, max_candidates: int = DEFAULT_MAX_CANDIDATES) -> JobResult:
    start = time.perf_counter()
    try:
        result = check_file(job.path, job.spec, max_candidates)
    except TraceError as e:
        return JobResult(job, error=str(e), seconds=time.perf_counter() - start)
    outcome = JobResult(job, result=result, seconds=time.perf_counter() - start)
    if job.expected is not None:
        outcome.mismatch = compare(job.expected, result)
    return outcome


def run_jobs(jobs: list[Job], workers: int, max_candidates: int) -> list[JobResult]:
    """Run the jobs, in parallel over `workers` processes when there is more than one job
    and more than one worker; results come back in the order of `jobs`."""
    if workers <= 1 or len(jobs) <= 1:
        return [run_job(j, max_candidates) for j in jobs]
    with ProcessPoolExecutor(max_workers=min(workers, len(jobs))) as pool:
        return list(pool.map(run_job, jobs, [max_candidates] * len(jobs), chunksize=1))

"""Writing model runs as traces, and the synthetic corpus in traces/synthetic/.

A model run uses model identities (pid 1, handle slot 1, socket 0, info 0). A trace uses
what a recorder would see, so the writer maps them to realistic values: pids such as 1100,
handle values that are multiples of four, socket identities such as `sock-0`, and a
digest of the info bytes. The checker has to bind them back, which is what it does for
real recordings.

The corpus: one conforming trace per scenario of semantics.md section C (and the seed's
handoff), and one violating trace per mutant that a trace can show (the run of the
scenario that catches it, cut at the event where the mutant departs, or the shortest
path an exhaustive search found).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wsshare.model import (
    DOCUMENTED,
    NAMES_NOTHING,
    NONEXISTENT_PID,
    Err,
    Ok,
    Pending,
    reference_explore,
)
from wsshare.model.actions import Action, CallReturn, RecvReturn, SpiStep, returns
from wsshare.model.roles import Role, roles
from wsshare.model.state import DEFAULT_CATALOG, InfoMessage, PidReply, World

from .loading import load_config
from .mutants import MUTANTS, Mutant
from .scenarios import ALL_SCENARIOS, SCENARIOS_BY_ID, Call, Scenario, run
from .trace import TraceHeader, TraceWriter
from .translate import observed_arguments


def observed_pid(model_pid: int) -> int:
    return 1000 + 100 * model_pid


def observed_handle(slot: int) -> int:
    return 0x100 + 4 * slot


def observed_socket(socket: int) -> str:
    return f"sock-{socket}"


def info_digest(info: int) -> str:
    return hashlib.sha256(f"WSAPROTOCOL_INFOW #{info}".encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Step:
    """A model step to write: the action, its result, and the world before it."""

    action: Action
    result: Ok | Err | Pending
    before: World
    after: World


def _target(pid: int) -> int:
    if pid == 0:
        return 0
    if pid == NONEXISTENT_PID:
        return 0xFFFFFFFF
    return observed_pid(pid)


def _observed(role: Role, value: Any, _: object) -> Any:
    """A model value as this recorder writes it, by its role."""
    if role.kind == "pid":
        return _target(value) if role.any_value else observed_pid(value)
    if role.kind == "handle":
        return observed_handle(value) if value else 0
    if role.kind == "info":
        return info_digest(value) if value is not None else "0000000000000000"
    if role.kind == "socket":
        return value  # written as an identity below, with the socket a call used
    return value


def event_fields(step: Step) -> dict[str, Any]:
    """The trace event (without seq) a recorder would write for one model step. At spi
    granularity the return of a call is written as the API call with phase "return"."""
    a, r = step.action, step.result
    if isinstance(a, CallReturn):
        in_call = step.before.call_of(a.pid)
        assert in_call is not None
        returned = event_fields(Step(in_call.action, r, step.before, step.after))
        returned["phase"] = "return"
        return returned
    written = observed_arguments(a, _observed)
    data = written.args
    if data.get("info_entry", 0) is None:
        del data["info_entry"]  # an spi_step whose info entry the recorder did not see
    call = a.call
    pid: int | None = getattr(a, "pid", None)
    fields: dict[str, Any] = {"call": call, "pid": observed_pid(pid) if pid else None}
    if "info_digest" in written.identities:
        fields["info_digest"] = written.identities["info_digest"]
    # The socket a recorder sees: the one a named socket is, or the one of the caller's
    # descriptor the call uses, or of the one it makes.
    socket: int | None = written.identities.get("socket")
    used = next(
        (getattr(a, name) for name, role in roles(type(a)).items() if role.kind == "handle"),
        None,
    )
    if pid is not None and isinstance(used, int) and used:
        d = step.before.descriptor(pid, used)
        socket = d.socket if d else socket
    if returns(call) == "handle" and isinstance(r, Ok) and isinstance(r.value, int):
        made = step.after.descriptor(pid or 0, r.value)
        socket = made.socket if made else socket
    if isinstance(a, RecvReturn):
        fields["call"] = "recv"
        fields["phase"] = "return"
    fields["args"] = data
    if isinstance(r, Pending):
        fields["phase"] = "call"
        return _with_socket(fields, socket)
    fields["result"] = "ok" if isinstance(r, Ok) else "error"
    if isinstance(r, Err):
        fields["error"] = r.error.name
    else:
        fields["value"] = _observed_value(a, r.value, step)
    return _with_socket(fields, socket)


def _with_socket(fields: dict[str, Any], socket: int | None) -> dict[str, Any]:
    if socket is not None:
        fields["socket"] = observed_socket(socket)
    return fields


def _observed_value(a: Action, value: object, step: Step) -> Any:
    call = getattr(a, "call", "")
    if returns(call) == "handle" and isinstance(value, int):
        if value == NAMES_NOTHING:
            return 0xDEAD0  # a number from the caller's table that names no socket
        return observed_handle(value)
    if call == "WSADuplicateSocket":
        return None
    if isinstance(value, PidReply):
        return {"kind": "pid_reply", "pid": observed_pid(value.pid)}
    if isinstance(value, InfoMessage):
        return {"kind": "info"}
    if hasattr(value, "kind"):
        return {"kind": value.kind}
    return value


def write_trace(
    path: Path, steps: Iterable[Step], *, implementation: str = "model", note: str = ""
) -> int:
    """Write `steps` as a trace; the number of events."""
    steps = list(steps)
    catalog = steps[0].before.catalog if steps else DEFAULT_CATALOG
    header = TraceHeader(
        implementation=implementation,
        platform="wsshare model",
        recorder=f"wsshare corpus{note}",
        profile_hint="documented",
        catalog=list(catalog) if catalog != DEFAULT_CATALOG else None,
        level="spi" if any(isinstance(s.action, SpiStep | CallReturn) for s in steps) else "api",
    )
    with TraceWriter(path, header) as writer:
        for n, step in enumerate(steps):
            fields = event_fields(step)
            value = step.result.value if isinstance(step.result, Ok) else None
            if fields["call"] == "WSADuplicateSocket" and isinstance(value, int):
                fields["info_digest"] = info_digest(value)
            writer.event(time=round(0.001 * n, 3), tid=1, **fields)
    return len(steps)


def scenario_steps(scenario: Scenario, semantics: Any = None) -> tuple[list[Step], int | None]:
    """The steps of a scenario run, and the index (among the steps) of the first step
    where the run departed from the scenario's expectation, cut just after it."""
    result = run(scenario, semantics)
    steps: list[Step] = []
    departed: int | None = None
    world = (semantics or _reference(scenario)).initial_worlds()[0]
    for s in result.steps:
        if not isinstance(s.step, Call):
            if not s.ok:
                break
            continue
        if s.outcome is not None:
            steps.append(Step(s.step.action, s.outcome.result, world, s.outcome.world))
            world = s.outcome.world
        elif s.allowed:
            o = s.allowed[0]
            steps.append(Step(s.step.action, o.result, world, o.world))
            departed = len(steps) - 1
            break
        else:
            break
    return steps, departed


def _reference(scenario: Scenario) -> Any:
    from wsshare.model import Semantics

    return Semantics(scenario.config(), scenario.profile())


@dataclass
class Entry:
    file: str
    description: str
    expect: dict[str, dict[str, Any]]
    source: str


def _mutant_steps(m: Mutant) -> tuple[list[Step], int | None, str] | None:
    """A run of the mutant that departs from the documented behaviour in a way a trace
    shows, or None when no check of its row yields one."""
    for check in m.caught_by:
        if check.startswith("explore:"):
            config = load_config(check.removeprefix("explore:"))
            found = reference_explore(
                m.build(config, DOCUMENTED), spec=DOCUMENTED, max_states=20_000
            )
            if not found.violations:
                continue
            path = found.counterexample()
            steps = [
                Step(e.action, e.outcome.result, found.worlds[e.source], e.outcome.world)
                for e in path
            ]
            return steps, len(steps) - 1, check
        scenario = SCENARIOS_BY_ID[check]
        steps, departed = scenario_steps(scenario, m.build(scenario.config(), scenario.profile()))
        if departed is not None:
            return steps, departed, check
    return None


def build_corpus(folder: Path) -> list[Entry]:
    """Write the synthetic corpus into `folder` and return its manifest entries.

    Expected verdicts for the violating traces come from the construction (the event at
    which the mutant departed from the scenario); `verify` fills in nothing by itself.
    """
    from .checker import check_file

    folder.mkdir(parents=True, exist_ok=True)
    entries: list[Entry] = []
    for scenario in ALL_SCENARIOS:
        if scenario.knobs:
            continue  # the scenario needs a profile that is not a named one
        steps, departed = scenario_steps(scenario)
        assert departed is None, scenario.id
        name = f"{scenario.id.lower()}.jsonl"
        write_trace(folder / name, steps)
        entries.append(
            Entry(
                name,
                f"{scenario.id}: {scenario.title} ({', '.join(scenario.rules)})",
                {"documented": {"verdict": "conforms"}},
                f"scenario {scenario.id}",
            )
        )
    for m in MUTANTS:
        made = _mutant_steps(m)
        if made is None:
            continue
        steps, departed, check = made
        name = f"violates-{m.name}.jsonl"
        write_trace(folder / name, steps, note=f" (mutant {m.name})")
        result = check_file(str(folder / name))
        if result.verdict != "violates" or result.violation is None:
            (folder / name).unlink()  # the mutant's departure is not visible in a trace
            continue
        if departed is not None and result.violation.index > departed:
            raise AssertionError(
                f"{name}: the mutant departs at event {departed}, the checker says "
                f"{result.violation.index}"
            )
        entries.append(
            Entry(
                name,
                f"mutant {m.name}: {m.description} ({', '.join(m.rules)})",
                {
                    "documented": {
                        "verdict": "violates",
                        "rules": result.violation.rules,
                        "event": result.violation.index,
                    }
                },
                f"mutant {m.name} via {check}",
            )
        )
    return entries


def write_manifest(path: Path, entries: list[Entry]) -> None:
    data = {
        "manifest": 1,
        "description": "Expected verdicts of the traces in this folder, per profile.",
        "traces": [
            {"file": e.file, "description": e.description, "source": e.source, "expect": e.expect}
            for e in entries
        ],
    }
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")

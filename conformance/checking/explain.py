"""What a violation says, in the trace's own terms.

When no candidate explains an event, the checker reports, for each world still possible,
what the model allowed instead, and the rules the observation breaks. A reader of the
trace knows its pids, handle values, digests and socket identities, not the model's
slots, so every allowed call is written back in those: `closesocket(pid 1200,
handle=260)`, not `closesocket(P2, h1)`. Values the trace never named are said so
(`a handle the trace has not named yet`). Each rule comes with its statement, as Elle's
explanations come with the anomaly they show.

`Violation.to_text()` is the human report (what `wsshare check` prints) and `to_data()`
the machine form (what `--json` prints).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from wsshare.model import NAMES_NOTHING, NONEXISTENT_PID, RULES_BY_ID, Err, Ok, Pending, World
from wsshare.model.actions import Action, returns
from wsshare.model.roles import Role
from wsshare.model.rules import OPEN_QUESTIONS
from wsshare.model.semantics import Outcome
from wsshare.model.state import Frozen

from .translate import PidMap, observed_arguments

if TYPE_CHECKING:
    from .engine import Binding


@dataclass
class Allowed:
    """One thing the model allowed: a call (in the trace's terms) and its result."""

    call: str
    pid: int | str | None  # a pid the trace never names reads as words
    args: dict[str, Any]
    result: str
    # Where the recorder names the thing by an identity (an info's digest, a socket).
    identities: dict[str, Any]
    # A sentence instead of a call (what an spi call still owes, a call that may start).
    text: str = ""

    @classmethod
    def note(cls, text: str) -> Allowed:
        return cls("", None, {}, "", {}, text)

    def to_text(self) -> str:
        if self.text:
            return self.text
        parts = [f"pid {self.pid}"] if self.pid is not None else []
        parts += [f"{k}={_shown(v)}" for k, v in self.args.items()]
        parts += [f"{k}={_shown(v)}" for k, v in self.identities.items()]
        return f"{self.call}({', '.join(parts)}) -> {self.result}"

    def to_data(self) -> dict[str, Any]:
        return {
            "call": self.call,
            "pid": self.pid,
            "args": self.args,
            **self.identities,
            "result": self.result,
            "text": self.to_text(),
        }


def _shown(value: Any) -> str:
    return str(value)


@dataclass
class CandidateReport:
    """One world still possible before the failing event, what the model allowed there,
    and the rules that observation breaks in it."""

    world: World
    allowed: list[Allowed]
    rules: list[str]


def rule_statement(rule: str) -> str:
    """A rule's statement; the D-ids name open questions, answered by the profile."""
    known = RULES_BY_ID.get(rule)
    if known is not None:
        return known.statement
    if rule in OPEN_QUESTIONS:
        return f"{OPEN_QUESTIONS[rule]} (open: the profile answers it)"
    return ""


@dataclass
class Violation:
    """The first event no candidate explains."""

    index: int  # 0-based position of the event among the events
    line: int
    seq: int
    observed: str
    matched_prefix: int  # how many events matched before this one
    candidates: list[CandidateReport]
    candidate_count: int
    rules: list[str]

    def to_text(self) -> str:
        lines = [
            f"at event {self.index} (line {self.line}, seq {self.seq}): {self.observed}",
            f"matched prefix: {self.matched_prefix} event(s); "
            f"{self.candidate_count} world(s) were still possible",
        ]
        for n, c in enumerate(self.candidates, start=1):
            lines.append(f"world {n}: the model allowed:")
            lines.extend(f"  - {a.to_text()}" for a in c.allowed)
        if not self.rules:
            lines.append("rules broken: (none cited)")
        else:
            lines.append(f"rules broken: {', '.join(self.rules)}")
            lines.extend(f"  {r}: {rule_statement(r)}" for r in self.rules)
        return "\n".join(lines)

    def to_data(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "line": self.line,
            "seq": self.seq,
            "observed": self.observed,
            "matched_prefix": self.matched_prefix,
            "candidate_count": self.candidate_count,
            "rules": [{"id": r, "statement": rule_statement(r)} for r in self.rules],
            "candidates": [
                {
                    "allowed": [a.to_data() for a in c.allowed],
                    "rules": c.rules,
                    "world": c.world.model_dump(mode="json"),
                }
                for c in self.candidates
            ],
        }


# -- model values in the trace's terms ---------------------------------------------------


def allowed(action: Action, outcome: Outcome, b: Binding, pids: PidMap) -> Allowed:
    """`action` with `outcome`, written with the observed values `b` binds."""

    def write(role: Role, value: Any, holder: BaseModel) -> Any:
        if role.kind == "pid":
            return _pid(value, pids)
        if role.kind == "handle":
            owner = getattr(holder, role.owner, None)
            return _handle(value, owner, b)
        if role.kind == "info":
            if value is None:
                return "bytes that are no info"
            return b.info_names.get(value, f"info #{value}, whose digest the trace has not shown")
        if role.kind == "socket":
            return b.socket_names.get(value, f"socket #{value}, not identified in the trace")
        return value

    written = observed_arguments(action, write)
    caller = getattr(action, "pid", None)
    shown = _pid(caller, pids) if isinstance(caller, int) else None
    result = _result(action, outcome, b)
    return Allowed(action.call, shown, written.args, result, written.identities)


def _pid(model: int, pids: PidMap) -> int | str:
    if model == 0:
        return 0
    if model == NONEXISTENT_PID:
        return "a pid naming no process"
    return pids.observed.get(model, f"process #{model}")


def _handle(slot: Any, owner: Any, b: Binding) -> Any:
    if slot is None:
        return "any free number"
    if slot == NAMES_NOTHING:
        return "a value naming nothing"
    value = b.value_of(owner, slot) if isinstance(owner, int) else None
    return value if value is not None else f"a handle the trace has not named yet (slot {slot})"


def _result(action: Action, outcome: Outcome, b: Binding) -> str:
    r = outcome.result
    if isinstance(r, Err):
        text = f"{r.error.name} ({r.error.value})"
        return f"{text} (out of resources)" if "ENV" in outcome.rules else text
    if isinstance(r, Pending):
        return "pending (the call blocks)"
    assert isinstance(r, Ok)
    value = r.value
    kind = returns(action.call)
    if kind == "handle" and isinstance(value, int):
        if value == NAMES_NOTHING:
            return "OK, a value that names nothing"
        pid = getattr(action, "pid", None)
        known = b.value_of(pid, value) if isinstance(pid, int) else None
        return f"OK {known}" if known is not None else "OK, a new handle"
    if kind == "handles":
        return "OK, new handles"
    if action.call == "WSADuplicateSocket":
        return "OK, an info"
    if value is None:
        return "OK"
    if isinstance(value, Frozen):
        return f"OK, a {getattr(value, 'kind', type(value).__name__)} message"
    return f"OK {value}"


__all__ = ["Allowed", "CandidateReport", "Violation", "allowed", "rule_statement"]

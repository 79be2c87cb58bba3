"""Fuzzing the reader and the checker with mutants of valid traces.

The valid traces are a few scenarios' runs written by corpus.write_trace. A mutant drops,
duplicates or swaps lines, flips or inserts bytes, truncates the file, or edits JSON values
(another type, another number, pid or handle, another call, error, result or phase, an
added field, a header that hides the peer or IPC). Whatever the input, check_file must
either give a verdict (conforms, violates or unknown) or raise a clean TraceError naming
the file (and the line, when the file has one); never another exception, never a hang;
and the same file must give the same answer twice.
"""

from __future__ import annotations

import contextlib
import functools
import json
import signal
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from wsshare.conformance.checking.engine import check_file
from wsshare.conformance.fixtures.corpus import scenario_steps, write_trace
from wsshare.conformance.fixtures.scenarios import ALL_SCENARIOS
from wsshare.conformance.trace import KNOWN_CALLS, TraceError
from wsshare.model import WsaError

FUZZ = settings(
    max_examples=200,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
CHECK_SECONDS = 10  # a trace of at most ~20 events checks in milliseconds

# One folder for the whole module (hypothesis runs many examples per test function, so a
# function-scoped tmp_path fixture cannot be used); removed when the interpreter exits.
_FOLDER = tempfile.TemporaryDirectory(prefix="wsshare-fuzz-")
_WORK = Path(_FOLDER.name)


# A few scenarios that between them make every kind of event: IPC, peer data and close,
# process exit, event selection, options, a recv that blocks (call and return events),
# handle reuse, and a run that violates the documented profile.
SCENARIOS = ("SEED", "C4", "C12", "C17", "C18", "C19", "C21", "C-reuse", "C-unsupported")


@functools.cache
def valid_traces() -> dict[str, bytes]:
    """The bytes of each chosen scenario's trace, written once by write_trace."""
    traces: dict[str, bytes] = {}
    for scenario in (s for s in ALL_SCENARIOS if s.id in SCENARIOS):
        steps, departed = scenario_steps(scenario)
        assert departed is None, scenario.id
        path = _WORK / f"valid-{scenario.id}.jsonl"
        write_trace(path, steps)
        traces[scenario.id] = path.read_bytes()
    assert sorted(traces) == sorted(SCENARIOS)
    return traces


# -- mutations -------------------------------------------------------------------------

Draw = Callable[..., Any]  # draw(strategy, label=...) of @st.composite or st.data()
Mutation = Callable[[Draw, bytes], bytes]

ERROR_NAMES = sorted(e.name for e in WsaError)
JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.sampled_from([0, -1, 1, 4, 260, 1100, 1200, 1300, 0xFFFFFFFF, 2**63, -(2**70)])
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.sampled_from(["", "x", "ok", "error", "pending", "call", "return", "sock-0", "data"])
    | st.sampled_from(sorted(KNOWN_CALLS))
    | st.sampled_from(ERROR_NAMES)
    | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner),
    max_leaves=4,
)


def _lines(content: bytes) -> list[bytes]:
    return content.splitlines(keepends=True)


def drop_line(draw: Draw, content: bytes) -> bytes:
    """A line (the header or an event) is missing."""
    lines = _lines(content)
    i = draw(st.integers(0, len(lines) - 1), label="drop line")
    return b"".join(lines[:i] + lines[i + 1 :])


def duplicate_line(draw: Draw, content: bytes) -> bytes:
    """A line is written twice."""
    lines = _lines(content)
    i = draw(st.integers(0, len(lines) - 1), label="duplicate line")
    return b"".join(lines[: i + 1] + lines[i:])


def swap_lines(draw: Draw, content: bytes) -> bytes:
    """Two lines change places (or a line with itself)."""
    lines = _lines(content)
    i = draw(st.integers(0, len(lines) - 1), label="swap line")
    j = draw(st.integers(0, len(lines) - 1), label="with line")
    lines[i], lines[j] = lines[j], lines[i]
    return b"".join(lines)


def flip_byte(draw: Draw, content: bytes) -> bytes:
    """One byte has some of its bits flipped."""
    i = draw(st.integers(0, len(content) - 1), label="flip at")
    mask = draw(st.integers(1, 255), label="mask")
    return content[:i] + bytes([content[i] ^ mask]) + content[i + 1 :]


def truncate(draw: Draw, content: bytes) -> bytes:
    """The file ends at any offset, in a line or between lines."""
    return content[: draw(st.integers(0, len(content)), label="truncate at")]


def insert_bytes(draw: Draw, content: bytes) -> bytes:
    """Random bytes, or random text in UTF-8, appear at any offset."""
    i = draw(st.integers(0, len(content)), label="insert at")
    junk = draw(
        st.binary(min_size=1, max_size=8) | st.text(min_size=1, max_size=8).map(str.encode),
        label="inserted",
    )
    return content[:i] + junk + content[i:]


def _edit_json(
    draw: Draw, content: bytes, keys: Callable[[dict[str, Any]], list[tuple]], value: Any
) -> bytes:
    """Parse one line, set the value at one of the paths `keys` offers (a path is a tuple
    of keys into nested objects), and write the line back. Lines an earlier mutation left
    unparsable are not candidates; with none left the content is returned as it is."""
    lines = _lines(content)
    objects = {i: obj for i, line in enumerate(lines) if isinstance(obj := _parse(line), dict)}
    if not objects:
        return content
    i = draw(st.sampled_from(sorted(objects)), label="edit line")
    obj = objects[i]
    paths = keys(obj)
    if not paths:
        return content
    path = draw(st.sampled_from(paths), label="path")
    target = obj
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = draw(value, label="new value")
    lines[i] = json.dumps(obj, separators=(",", ":")).encode() + b"\n"
    return b"".join(lines)


def _parse(line: bytes) -> Any:
    try:
        return json.loads(line.decode("utf-8"))
    except ValueError:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        return None


def _all_paths(obj: Any, prefix: tuple = ()) -> list[tuple]:
    """Every path to a value in nested objects (list items included)."""
    if isinstance(obj, dict):
        items = list(obj.items())
    elif isinstance(obj, list):
        items = list(enumerate(obj))
    else:
        return []
    paths = []
    for key, value in items:
        paths.append((*prefix, key))
        paths.extend(_all_paths(value, (*prefix, key)))
    return paths


def replace_value(draw: Draw, content: bytes) -> bytes:
    """Any value (a top-level field, an argument, part of a message) becomes another JSON
    value: of another type, or another number or string of the same type."""
    return _edit_json(draw, content, _all_paths, JSON_VALUES)


def _int_paths(obj: dict[str, Any], names: frozenset[str] | None = None) -> list[tuple]:
    """The paths to integers (whose key is one of `names`, if given) at any depth."""
    found = []
    for path in _all_paths(obj):
        value: Any = obj
        for key in path:
            value = value[key]
        is_int = isinstance(value, int) and not isinstance(value, bool)
        if is_int and (names is None or path[-1] in names):
            found.append(path)
    return found


NUMBERS = st.sampled_from([0, -1, 1, 4, 256, 260, 264, 1100, 1200, 1300, 4242, 0xFFFFFFFF, 2**63])
PID_KEYS = frozenset({"pid", "to", "sender", "target_pid"})
HANDLE_KEYS = frozenset({"handle", "value"})


def change_number(draw: Draw, content: bytes) -> bytes:
    """Any integer (a seq, a tid, a pid, a handle value) becomes another: one the trace
    uses elsewhere, one it never uses, zero, negative or huge."""
    return _edit_json(draw, content, _int_paths, NUMBERS | st.integers())


def change_pid(draw: Draw, content: bytes) -> bytes:
    """A process id (the caller, an IPC partner, a pid in a message, a duplication
    target) becomes another: one of the trace's, one that never acts, 0 or -1."""
    pids = st.sampled_from([1100, 1200, 1300, 4242, 0, -1, 0xFFFFFFFF])
    return _edit_json(draw, content, lambda o: _int_paths(o, PID_KEYS), pids)


def change_handle(draw: Draw, content: bytes) -> bytes:
    """A handle value (an argument or a returned one) becomes another: one in use, one
    never returned, 0, -1 or huge."""
    handles = st.sampled_from([256, 260, 264, 268, 0, 1, -1, 0xDEAD0, 2**64])
    return _edit_json(draw, content, lambda o: _int_paths(o, HANDLE_KEYS), handles)


def add_field(draw: Draw, content: bytes) -> bytes:
    """A field or an argument is added (or overwritten), known to the format or not."""
    names = ["seq", "pid", "tid", "phase", "call", "args", "result", "value", "error"]
    names += ["socket", "info_digest", "handle", "target_pid", "to", "sender", "zzz"]

    def paths(obj: dict[str, Any]) -> list[tuple]:
        found: list[tuple] = [(n,) for n in names]
        if isinstance(obj.get("args"), dict):
            found += [("args", n) for n in names]
        return found

    return _edit_json(draw, content, paths, JSON_VALUES)


def change_call(draw: Draw, content: bytes) -> bytes:
    """An event's call becomes another known call, or a name the model does not know."""
    names = st.sampled_from(sorted(KNOWN_CALLS)) | st.sampled_from(["WSASocketW", "Call", ""])
    return _edit_json(draw, content, lambda o: [("call",)] if "seq" in o else [], names)


def change_error(draw: Draw, content: bytes) -> bytes:
    """An event's error name becomes another WSA error or a name that is none; the event
    may be made an error at the same time, or its result changed."""
    names = st.sampled_from(ERROR_NAMES) | st.sampled_from(["WSAEFOO", "wsaeinval", "10022"])

    def paths(obj: dict[str, Any]) -> list[tuple]:
        return [("error",), ("result",)] if "seq" in obj else []

    return _edit_json(draw, content, paths, names | st.sampled_from(["ok", "error"]))


def change_header(draw: Draw, content: bytes) -> bytes:
    """The header says the recorder could not see the peer or IPC (so the checker lets
    the peer's data in silently), or lists the processes up front, or both."""
    header, newline, events = content.partition(b"\n")
    obj = _parse(header)
    if not isinstance(obj, dict):
        return content
    if draw(st.booleans(), label="set unobserved"):
        families = st.lists(st.sampled_from(["peer", "ipc"]), unique=True)
        obj["unobserved"] = draw(families, label="unobserved")
    if draw(st.booleans(), label="set processes"):
        pids = st.lists(st.sampled_from([1100, 1200, 1300, 4242, 0, -1]), max_size=4)
        obj["processes"] = draw(st.none() | pids, label="processes")
    return json.dumps(obj, separators=(",", ":")).encode() + newline + events


def change_phase(draw: Draw, content: bytes) -> bytes:
    """An event is split into call/return halves wrongly: its phase changes."""
    phases = st.sampled_from(["complete", "call", "return", "pending"])
    return _edit_json(draw, content, lambda o: [("phase",)] if "seq" in o else [], phases)


MUTATIONS: tuple[Mutation, ...] = (
    drop_line,
    duplicate_line,
    swap_lines,
    flip_byte,
    truncate,
    insert_bytes,
    replace_value,
    change_number,
    change_pid,
    change_handle,
    add_field,
    change_call,
    change_error,
    change_phase,
    change_header,
)


def events_only(mutation: Mutation) -> Mutation:
    """`mutation` applied to the event lines, the header left in place."""

    def mutate(draw: Draw, content: bytes) -> bytes:
        header, newline, events = content.partition(b"\n")
        return header + newline + mutation(draw, events) if events else content

    mutate.__name__ = f"events_only({mutation.__name__})"
    return mutate


def renumber(content: bytes) -> bytes:
    """Give the events seq 0, 1, 2, ... again, so a reordered or edited trace gets past the
    sequence check and reaches the model replay."""
    lines = _lines(content)
    seq = 0
    for i, line in enumerate(lines[1:], start=1):
        obj = _parse(line)
        if isinstance(obj, dict) and "seq" in obj:
            obj["seq"] = seq
            seq += 1
            lines[i] = json.dumps(obj, separators=(",", ":")).encode() + b"\n"
    return b"".join(lines)


# Mutations that keep the file well formed in the ways a recorder gets right (the header
# first, each line valid JSON, seq increasing once renumbered) but change what happened:
# events missing, repeated or reordered, other handle values or pids, other calls, other
# results. Their mutants get into the checker's model replay.
REPLAY_MUTATIONS: tuple[Mutation, ...] = (
    events_only(drop_line),
    events_only(duplicate_line),
    events_only(swap_lines),
    change_pid,
    change_handle,
    change_call,
    change_error,
    change_phase,
    change_header,
)


@st.composite
def mutants(
    draw: st.DrawFn, max_mutations: int = 1, mutations: tuple[Mutation, ...] = MUTATIONS
) -> bytes:
    """A valid trace with 1..max_mutations mutations (from `mutations`) applied."""
    traces = valid_traces()
    content = traces[draw(st.sampled_from(sorted(traces)), label="scenario")]
    for _ in range(draw(st.integers(1, max_mutations), label="mutations")):
        if not content:
            break
        mutation = draw(st.sampled_from(mutations), label="mutation")
        content = mutation(draw, content)
    return content


# -- the properties --------------------------------------------------------------------


class Hang(Exception):
    """A check did not finish within its time."""


@contextlib.contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise Hang in the main thread if the block runs longer than `seconds`."""

    def expired(signum: int, frame: object) -> None:
        raise Hang(f"check_file did not finish within {seconds} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def outcome(path: Path) -> tuple[Any, ...]:
    """What checking `path` gives: the verdict with its rule ids and event index, or the
    TraceError's text. Any other exception, or a hang, propagates and fails the test."""
    with time_limit(CHECK_SECONDS):
        try:
            result = check_file(str(path))
        except TraceError as e:
            text = str(e)
            assert e.path == str(path), text
            assert text.startswith(str(path)), text
            if e.line is not None:
                assert text.startswith(f"{path}:{e.line}:"), text
            else:
                # Only a file with no line to point at may have no line number.
                assert not path.read_bytes().strip(), text
            return ("error", text, e.line, e.field)
    assert result.verdict in ("conforms", "violates", "unknown"), result.verdict
    assert (result.verdict == "violates") == (result.violation is not None)
    return (result.verdict, tuple(result.rule_ids), result.event_index, result.events)


def check_mutant(content: bytes) -> str:
    """Check the mutant twice: the same outcome both times. Returns the verdict, or
    "error" for a TraceError."""
    path = _WORK / "mutant.jsonl"
    path.write_bytes(content)
    first = outcome(path)
    second = outcome(path)
    assert first == second, (first, second)
    return first[0]


def test_time_limit_interrupts_a_hang() -> None:
    """The guard every check runs under does stop a block that does not finish."""
    start = time.monotonic()
    with pytest.raises(Hang), time_limit(0.05):
        time.sleep(5)
    assert time.monotonic() - start < 2


def test_valid_traces_are_checked_cleanly() -> None:
    """The unmutated traces check without error, and all but the scenario that needs a
    profile of its own conform to the documented profile."""
    for name, content in valid_traces().items():
        path = _WORK / f"valid-{name}.jsonl"
        assert path.read_bytes() == content
        verdict = outcome(path)[0]
        assert verdict in ("conforms", "violates"), (name, verdict)
        if name != "C-unsupported":
            assert verdict == "conforms", name


@FUZZ
@given(mutants())
def test_one_mutation_gives_a_verdict_or_a_clean_error(content: bytes) -> None:
    """One mutation of a valid trace: check_file gives a verdict or a clean TraceError
    (naming the file and the line), within the time limit, the same way twice."""
    event(check_mutant(content))  # --hypothesis-show-statistics: how many reach a verdict


@FUZZ
@given(mutants(max_mutations=4))
def test_several_mutations_give_a_verdict_or_a_clean_error(content: bytes) -> None:
    """Up to four mutations stacked: the same guarantees as for one."""
    event(check_mutant(content))  # --hypothesis-show-statistics: how many reach a verdict


@FUZZ
@given(mutants(max_mutations=2, mutations=REPLAY_MUTATIONS).map(renumber))
def test_replayed_mutants_give_a_verdict_or_a_clean_error(content: bytes) -> None:
    """One or two changes to what happened (events dropped, repeated or reordered, other
    numbers, calls, errors or phases), with seq renumbered so most mutants reach the model
    replay: the same guarantees as for any mutation."""
    event(check_mutant(content))  # --hypothesis-show-statistics: how many reach a verdict


# Edits of the seed's trace that the fuzzer's classes (change_pid, replace_value) make but
# rarely draw within 200 examples: IPC naming a process that makes no call of its own, and
# a received pid_reply whose pid is not a number. Each must still give a verdict or a clean
# TraceError, the same twice.
SEED_EDITS = {
    "ipc_send-to-pid-that-never-calls": ('"to":1200,', '"to":4242,'),
    "ipc_recv-from-pid-that-never-calls": ('"sender":1100}', '"sender":4242}'),
    "pid_reply-sent-naming-pid-that-never-calls": (
        '"message":{"kind":"pid_reply","pid":1200}',
        '"message":{"kind":"pid_reply","pid":4242}',
    ),
    "pid_reply-received-naming-pid-that-never-calls": (
        '"value":{"kind":"pid_reply","pid":1200}',
        '"value":{"kind":"pid_reply","pid":4242}',
    ),
    "pid_reply-received-with-a-list-pid": (
        '"value":{"kind":"pid_reply","pid":1200}',
        '"value":{"kind":"pid_reply","pid":[1200]}',
    ),
    "pid_reply-received-with-an-object-pid": (
        '"value":{"kind":"pid_reply","pid":1200}',
        '"value":{"kind":"pid_reply","pid":{"pid":1200}}',
    ),
    "duplicate-for-pid-that-never-calls": ('"target_pid":1200,', '"target_pid":4242,'),
}


@pytest.mark.parametrize(("old", "new"), SEED_EDITS.values(), ids=SEED_EDITS.keys())
def test_seed_edits_give_a_verdict_or_a_clean_error(old: str, new: str) -> None:
    """An IPC event naming a pid that makes no call, or a received pid that is not a
    number: check_file gives a verdict or a clean TraceError, never a KeyError or a
    TypeError from the replay."""
    seed = valid_traces()["SEED"].decode()
    assert old in seed
    check_mutant(seed.replace(old, new, 1).encode())

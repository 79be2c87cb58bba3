"""The streaming trace reader on malformed input, on valid traces, and on long traces.

Every malformed input must raise TraceError whose text names the file and the line (and,
where one field is at fault, that field), so a user can go straight to the problem.
"""

from __future__ import annotations

import json
import tracemalloc
from pathlib import Path
from typing import Any

import pytest

from wsshare.conformance.fixtures.corpus import scenario_steps, write_trace
from wsshare.conformance.fixtures.scenarios import ALL_SCENARIOS
from wsshare.conformance.trace import TraceError, TraceReader, validate_file

HEADER: dict[str, Any] = {"format": "wsshare-trace", "version": 1, "implementation": "model"}
STARTUP: dict[str, Any] = {"seq": 0, "pid": 1100, "call": "WSAStartup", "result": "ok"}
SOCKET: dict[str, Any] = {
    "seq": 1,
    "pid": 1100,
    "call": "WSASocket",
    "result": "ok",
    "value": 260,
    "socket": "sock-0",
}


def _line(obj: dict[str, Any]) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode() + b"\n"


def _trace(*events: dict[str, Any]) -> bytes:
    """A header line and then the events, one per line."""
    return _line(HEADER) + b"".join(_line(e) for e in events)


def _close(seq: int, handle: Any) -> dict[str, Any]:
    return {
        "seq": seq,
        "pid": 1100,
        "call": "closesocket",
        "args": {"handle": handle},
        "result": "ok",
    }


def _error(tmp_path: Path, content: bytes, line: int, *words: str) -> TraceError:
    """Write `content`, read it all, and check the TraceError names the file, the line and
    each of `words` (the field at fault, a word of the explanation)."""
    path = tmp_path / "bad.jsonl"
    path.write_bytes(content)
    with pytest.raises(TraceError) as caught:
        validate_file(path)
    e = caught.value
    text = str(e)
    assert e.path == str(path)
    assert e.line == line, text
    assert f"{path}:{line}:" in text, text
    for word in words:
        assert word in text, f"{word!r} not in {text!r}"
    return e


# -- one test per class of malformed input ---------------------------------------------


def test_invalid_json_names_the_line(tmp_path: Path) -> None:
    """A line that is not JSON (with its newline, so not a truncation) is invalid JSON."""
    content = _trace(STARTUP) + b'{"seq": 1, "pid": 1100, call: WSASocket}\n'
    _error(tmp_path, content, 3, "invalid JSON")


@pytest.mark.parametrize(
    ("content", "line", "field"),
    [
        pytest.param(_trace({**STARTUP, "seq": "x"}), 2, "seq", id="seq-string"),
        pytest.param(_trace(STARTUP, SOCKET, _close(2, "0x104")), 4, "handle", id="handle-string"),
        pytest.param(_trace({**STARTUP, "pid": [1100]}), 2, "pid", id="pid-list"),
    ],
)
def test_wrong_type_names_the_line_and_field(
    tmp_path: Path, content: bytes, line: int, field: str
) -> None:
    """A value of the wrong JSON type (a string seq, a string handle in args, a list pid)
    is rejected, naming the field."""
    _error(tmp_path, content, line, field)


def test_unknown_call_names_the_line_and_the_call(tmp_path: Path) -> None:
    """A call the model does not know is rejected, naming the field `call` and the value."""
    content = _trace(STARTUP, {**SOCKET, "call": "WSASocketW"})
    _error(tmp_path, content, 3, "call", "WSASocketW")


@pytest.mark.parametrize(
    ("event", "field"),
    [
        pytest.param({k: v for k, v in STARTUP.items() if k != "result"}, "result", id="result"),
        pytest.param({k: v for k, v in STARTUP.items() if k != "seq"}, "seq", id="seq"),
    ],
)
def test_missing_field_names_the_line_and_field(
    tmp_path: Path, event: dict[str, Any], field: str
) -> None:
    """A complete event without `result`, or any event without `seq`, is rejected, naming
    the missing field."""
    _error(tmp_path, _trace(event), 2, field)


def test_bytes_that_are_not_utf8(tmp_path: Path) -> None:
    """Bytes that do not decode as UTF-8 are rejected with their line, not a
    UnicodeDecodeError."""
    content = _trace(STARTUP) + b'{"seq":1,"pid":1100,"call":"WSA\xff\xfeSocket","result":"ok"}\n'
    _error(tmp_path, content, 3, "UTF-8")


def test_truncated_last_line(tmp_path: Path) -> None:
    """A last line cut in the middle of its JSON, with no newline, is reported as a
    truncation (the recorder died), not as plain invalid JSON."""
    content = _trace(STARTUP, SOCKET) + _line(_close(2, 260))[:25]
    assert not content.endswith(b"\n")
    _error(tmp_path, content, 4, "truncated")


def test_truncated_header_line(tmp_path: Path) -> None:
    """A file cut inside its header line is a truncation at line 1."""
    _error(tmp_path, _line(HEADER)[:20], 1, "truncated")


def test_duplicated_sequence_number(tmp_path: Path) -> None:
    """Two events with the same seq: the second is at fault, field `seq`."""
    content = _trace(STARTUP, SOCKET, {**_close(2, 260), "seq": 1})
    _error(tmp_path, content, 4, "seq", "duplicated")


def test_decreasing_sequence_number(tmp_path: Path) -> None:
    """A seq lower than the one before is rejected, field `seq`."""
    content = _trace({**STARTUP, "seq": 5}, {**SOCKET, "seq": 6}, _close(3, 260))
    _error(tmp_path, content, 4, "seq", "decreasing")


@pytest.mark.parametrize("content", [b"", b"\n\n  \n"], ids=["empty", "blank-lines"])
def test_empty_file(tmp_path: Path, content: bytes) -> None:
    """A file with no lines (or only blank ones) is rejected, naming the file and saying
    it is empty. It has no line to point at: line is None, or 1 if it is reported."""
    path = tmp_path / "empty.jsonl"
    path.write_bytes(content)
    with pytest.raises(TraceError) as caught:
        validate_file(path)
    e = caught.value
    assert e.path == str(path)
    assert str(path) in str(e)
    assert "empty" in str(e)
    assert e.line in (None, 1)
    if e.line is not None:
        assert f"{path}:{e.line}:" in str(e)


def test_first_line_is_an_event_not_a_header(tmp_path: Path) -> None:
    """A trace that starts with an event is told that line 1 must be the header."""
    content = _line(STARTUP) + _line(SOCKET)
    _error(tmp_path, content, 1, "header")


def test_unsupported_version(tmp_path: Path) -> None:
    """A header with a version this reader does not support is rejected at line 1,
    naming the field `version`."""
    content = _line({**HEADER, "version": 2}) + _line(STARTUP)
    e = _error(tmp_path, content, 1, "version")
    assert e.field == "version"


def test_negative_handle_in_args(tmp_path: Path) -> None:
    """A negative handle value is not a handle: rejected, naming the field `handle`."""
    content = _trace(STARTUP, SOCKET, _close(2, -4))
    _error(tmp_path, content, 4, "handle")


def test_error_given_with_result_ok(tmp_path: Path) -> None:
    """An event with result ok that also carries an error name is contradictory; the
    message names the field `error`."""
    content = _trace(STARTUP, {**SOCKET, "error": "WSAEINVAL"})
    _error(tmp_path, content, 3, "error")


def test_an_event_that_is_not_an_object(tmp_path: Path) -> None:
    """A line of valid JSON that is not an object (an array) is rejected with its line."""
    content = _trace(STARTUP) + b"[1, 2, 3]\n"
    _error(tmp_path, content, 3, "object")


def test_line_numbers_count_blank_lines(tmp_path: Path) -> None:
    """Blank lines are skipped but still counted, so the line number is the one an editor
    shows."""
    content = _line(HEADER) + b"\n" + _line(STARTUP) + b"\n\n" + _line({**SOCKET, "seq": 0})
    _error(tmp_path, content, 6, "seq")


# -- valid traces ----------------------------------------------------------------------


@pytest.mark.parametrize("scenario", ALL_SCENARIOS, ids=lambda s: s.id)
def test_write_trace_round_trips(tmp_path: Path, scenario: Any) -> None:
    """A trace written by write_trace reads back with one event per step, in order, with
    the same calls and increasing line numbers."""
    steps, departed = scenario_steps(scenario)
    assert departed is None
    path = tmp_path / "trace.jsonl"
    written = write_trace(path, steps)
    assert written == len(steps) > 0
    with TraceReader(path) as reader:
        assert reader.header.implementation == "model"
        lines = list(reader)
    assert len(lines) == written
    assert validate_file(path) == written
    assert [line.number for line in lines] == list(range(2, written + 2))
    assert [line.event.seq for line in lines] == list(range(written))
    for line, step in zip(lines, steps, strict=True):
        assert line.event.call in (step.action.call, "recv")  # recv_return is written recv


# -- streaming -------------------------------------------------------------------------

_PATTERN = (
    b'{"seq":%d,"time":0.0,"pid":1100,"tid":1,"call":"WSAStartup","result":"ok"}\n',
    b'{"seq":%d,"time":0.0,"pid":1100,"tid":1,"call":"WSASocket","result":"ok",'
    b'"value":260,"socket":"sock-0"}\n',
    b'{"seq":%d,"time":0.0,"pid":1100,"tid":1,"call":"closesocket","args":{"handle":260},'
    b'"result":"ok","socket":"sock-0"}\n',
)


def _long_trace(path: Path, events: int) -> None:
    """WSAStartup, WSASocket, closesocket on one pid, repeated, with increasing seq."""
    with path.open("wb") as f:
        f.write(_line(HEADER))
        for seq in range(events):
            f.write(_PATTERN[seq % 3] % seq)


def _peak_while_reading(path: Path) -> tuple[int, int]:
    """The event count and the peak traced memory (bytes) while iterating the reader."""
    tracemalloc.start()
    try:
        with TraceReader(path) as reader:
            tracemalloc.reset_peak()
            count = 0
            for _ in reader:
                count += 1
            _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return count, peak


# tracemalloc makes reading ~3x slower (~35 µs an event): 120k events keep this test near
# 5 s, and ten times the small trace's length is what shows memory does not follow length.
LARGE = 120_000
SMALL = LARGE // 10


def test_reading_is_streaming(tmp_path: Path) -> None:
    """Memory while reading does not grow with the trace: the peak over 120k events (a
    ~12 MB file) is under 4 MB and within 2x of the peak over a trace ten times shorter."""
    warm, small, large = (tmp_path / f"{n}.jsonl" for n in ("warm", "small", "large"))
    _long_trace(warm, 300)
    _long_trace(small, SMALL)
    _long_trace(large, LARGE)
    assert large.stat().st_size > 10_000_000
    validate_file(warm)  # first use fills pydantic's and json's caches: not the reader's
    n_small, peak_small = _peak_while_reading(small)
    n_large, peak_large = _peak_while_reading(large)
    assert (n_small, n_large) == (SMALL, LARGE)
    assert peak_large < 4 * 1024 * 1024, peak_large
    assert peak_large <= 2 * max(peak_small, 64 * 1024), (peak_small, peak_large)

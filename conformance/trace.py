"""The trace format (JSON Lines) and its streaming reader and writer.

A trace file is one header line and then one line per event. Values in events are as the
recorder saw them: real process ids, real handle values, an opaque identity of the
underlying socket (an inode, an object address), a digest of the info bytes. The checker
binds them to model objects; the trace never names model slots.

Every malformed input raises TraceError naming the file, the line and the field; the
reader never loads a whole file, so memory does not depend on the trace's length.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    NonNegativeInt,
    TypeAdapter,
    ValidationError,
    model_validator,
)

from wsshare.model import error_from_name
from wsshare.model.actions import ACTION_TYPES, Action
from wsshare.model.roles import roles
from wsshare.model.state import CatalogEntry

FORMAT = "wsshare-trace"
VERSION = 1

# Families of steps a recorder may be unable to see. The checker treats their steps as
# silent: it lets the model take them whenever an observed event needs them.
Unobservable = Literal["ipc", "peer"]

KNOWN_CALLS: frozenset[str] = frozenset(t.model_fields["call"].default for t in ACTION_TYPES)


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class TraceHeader(_Strict):
    """The first line of a trace."""

    format: Literal["wsshare-trace"] = "wsshare-trace"
    version: Literal[1] = 1
    implementation: str = Field(description="what was recorded: model, wine-8.0, linux, ...")
    platform: str = Field("", description="where it ran: OS, kernel, architecture")
    level: Literal["api", "spi"] = "api"
    recorder: str = Field("", description="the program that wrote the trace")
    profile_hint: str | None = Field(None, description="the profile the recorder expects")
    processes: list[int] | None = Field(
        None, description="the pids that make calls, when the recorder knows them up front"
    )
    unobserved: list[Unobservable] = Field(
        default_factory=list, description="families of steps the recorder could not see"
    )
    catalog: list[CatalogEntry] | None = Field(
        None,
        description="the Winsock catalog (as WSAEnumProtocols lists it), when it is not one "
        "IFS base provider; catalog entry ids in events index this list",
    )


class TraceEvent(_Strict):
    """One observed call, its return, or an IPC or environment step.

    `call` and `args` are the model's action types with observed values. A call that
    blocks while other events happen is two events: phase "call" (no result yet) and
    phase "return" with the result.
    """

    seq: NonNegativeInt
    time: float | None = None
    pid: int | None = Field(None, ge=1, description="the calling process; null for the peer")
    tid: int | None = None
    phase: Literal["complete", "call", "return"] = "complete"
    call: str
    args: dict[str, Any] = Field(default_factory=dict)
    result: Literal["ok", "error", "failed", "pending"] | None = Field(
        None,
        description="ok; error (with `error`); failed: the call reported failure and the "
        "program never read which error; pending: a blocking call not returned yet",
    )
    value: int | str | dict[str, Any] | list[int] | None = Field(
        None,
        description="a handle, an option value, 'data', an IPC message, or (Linux) the "
        "list of descriptors a socketpair or recv_fds made",
    )
    error: str | None = Field(
        None, description="the WSA error name, such as WSAEINVAL (an errno name on Linux)"
    )
    socket: str | None = Field(None, description="identity of the underlying socket")
    sockets: list[str] | None = Field(
        None, description="(Linux) the identities of the descriptors in a list `value`"
    )
    channel: str | None = Field(
        None,
        description="(Linux) on send_fds and recv_fds, an identity of the connection the "
        "message travels on (the receiving socket); messages on two channels queue apart",
    )
    info_digest: str | None = Field(None, description="digest of the WSAPROTOCOL_INFO bytes")

    @model_validator(mode="after")
    def _consistent(self) -> TraceEvent:
        if self.call not in KNOWN_CALLS:
            known = ", ".join(sorted(KNOWN_CALLS))
            raise ValueError(f"unknown call {self.call!r}; known calls: {known}")
        if self.phase == "call":
            if self.result is not None:
                raise ValueError("an event of phase 'call' has no result yet")
        elif self.result is None:
            raise ValueError("field 'result' is required (ok, error, failed or pending)")
        if self.result == "error":
            if self.error is None:
                raise ValueError("field 'error' is required when result is 'error'")
            try:
                error_from_name(self.error)
            except ValueError as e:
                raise ValueError(str(e)) from None
        elif self.error is not None:
            hint = " (a failure whose error was not read is 'failed', with no error)"
            raise ValueError(
                "field 'error' is only allowed when result is 'error'"
                + (hint if self.result == "failed" else "")
            )
        if self.call == "close_range":
            for bound in ("low", "high"):
                value = self.args.get(bound)
                if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                    raise ValueError(f"close_range needs args.{bound}, a descriptor number")
        if self.channel is not None and self.call not in ("send_fds", "recv_fds"):
            raise ValueError("field 'channel' belongs to send_fds and recv_fds only")
        if self.call == "connect" and not isinstance(self.args.get("unspec", False), bool):
            raise ValueError("args.unspec must be true or false (a connect to AF_UNSPEC)")
        if self.pid is None and self.call not in ("peer_send", "peer_sees_close"):
            raise ValueError(f"field 'pid' is required for {self.call}")
        return self

    def with_call(self, call: str) -> TraceEvent:
        """The same event naming another call (a recv's return is the model's
        recv_return)."""
        return self.model_copy(update={"call": call})

    def unobserved(self) -> dict[str, tuple[object, ...]]:
        """The arguments the recorder could not see (null in `args`), each with the values
        it may have had: only arguments with a finite domain (a flag, a mode) may be
        unobserved, and the checker tries each value."""
        if not any(v is None for v in self.args.values()):
            return {}
        fields = _ACTION_FIELDS[self.call]
        return {k: _domain(fields[k]) for k, v in self.args.items() if v is None and k in fields}

    def action(self) -> Action:
        """The model action with the observed argument values (validated by the model's
        types, so a negative handle or a wrong type is rejected here). An unobserved
        argument takes the first value of its domain; `unobserved()` lists the others."""
        data = {"call": self.call, **self.args}
        for name, values in self.unobserved().items():
            if values:
                data[name] = values[0]
        if self.pid is not None:
            data["pid"] = self.pid
        # An info, a socket or a channel is observed as an identity (info_digest, socket,
        # channel), never as an argument: a placeholder here, and the checker's
        # translation puts the model's in (conformance/checking/translate.py).
        for name, placeholder in _IDENTIFIED.get(self.call, ()):
            data.setdefault(name, placeholder)
        if self.call == "connect" and data.pop("unspec", False):
            # Linux: a connect to an AF_UNSPEC address is the model's connect_unspec.
            data["call"] = "connect_unspec"
        if self.call == "close_range":
            # The observed range names numbers; which descriptors fall in it is for the
            # checker to work out from its binding.
            data = {k: v for k, v in data.items() if k not in ("low", "high")}
            data["handles"] = ()
        return _ACTION.validate_python(data)


_ACTION: TypeAdapter[Action] = TypeAdapter(Action)
_ACTION_FIELDS: dict[str, dict[str, Any]] = {
    t.model_fields["call"].default: {k: f.annotation for k, f in t.model_fields.items()}
    for t in ACTION_TYPES
}


# Per call, the fields it names by an identity the event carries rather than by a value,
# each with a placeholder its type accepts (None where it may be None, else 0).
_IDENTIFIED: dict[str, tuple[tuple[str, int | None], ...]] = {
    t.model_fields["call"].default: tuple(
        (name, None if type(None) in get_args(t.model_fields[name].annotation) else 0)
        for name, role in roles(t).items()
        if role.kind in ("info", "socket", "channel") and t.model_fields[name].is_required()
    )
    for t in ACTION_TYPES
}


def _domain(annotation: Any) -> tuple[object, ...]:
    """The values of a finite argument type (bool, a Literal); () for the others, which
    a recorder must observe (a null there is left for validation to reject)."""
    if annotation is bool:
        return (False, True)
    if get_origin(annotation) is Literal:
        return get_args(annotation)
    return ()


class TraceError(Exception):
    """Malformed trace input: names the file, the line (1-based) and the field."""

    def __init__(self, path: str, line: int | None, field: str | None, message: str) -> None:
        self.path, self.line, self.field, self.message = path, line, field, message
        where = path if line is None else f"{path}:{line}"
        what = f"{field}: " if field else ""
        super().__init__(f"{where}: {what}{message}")


def _validation_error(path: str, line: int, error: ValidationError) -> TraceError:
    first = error.errors()[0]
    loc = [str(p) for p in first["loc"]]
    if loc and loc[0] in KNOWN_CALLS:
        loc = ["args", *loc[1:]]  # the action's own fields are the event's args
    field = ".".join(loc) or None
    message = first["msg"].removeprefix("Value error, ")
    if field is None:
        # Cross-field checks name their field in the message; give it to the caller too.
        named = re.search(r"field '(\w+)'", message)
        field = named.group(1) if named else ("call" if "unknown call" in message else None)
    return TraceError(path, line, field, message)


@dataclass(frozen=True)
class Line:
    """An event with the line it came from."""

    number: int
    event: TraceEvent


class TraceReader:
    """Streams a trace: `header` is read on open; iterating yields the events in order.

    Raises TraceError for: bytes that are not UTF-8, invalid JSON, a truncated last line
    (no newline at the end of a line that does not parse), a missing or wrong header, an
    unknown call, a wrong type, a missing field, and a sequence number that does not
    increase. Use as a context manager, or call close().
    """

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        try:
            self._file = open(path, "rb")  # noqa: SIM115 - closed by close()/__exit__
        except OSError as e:
            raise TraceError(self.path, None, None, f"cannot open: {e.strerror}") from None
        self._number = 0
        first = self._next_raw()
        if first is None:
            self.close()
            raise TraceError(self.path, None, None, "empty file: a trace starts with a header line")
        number, data = first
        try:
            self.header = TraceHeader.model_validate(data)
        except ValidationError as e:
            self.close()
            if isinstance(data, dict) and "seq" in data and "format" not in data:
                raise TraceError(
                    self.path,
                    number,
                    None,
                    'the first line must be the header ({"format": "wsshare-trace", ...})',
                ) from None
            raise _validation_error(self.path, number, e) from None

    def _next_raw(self) -> tuple[int, Any] | None:
        while True:
            raw = self._file.readline()
            if not raw:
                return None
            self._number += 1
            if not raw.strip():
                continue
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as e:
                raise TraceError(
                    self.path,
                    self._number,
                    None,
                    f"bytes that are not UTF-8 at column {e.start + 1}",
                ) from None
            try:
                return self._number, json.loads(text)
            except json.JSONDecodeError as e:
                if not raw.endswith(b"\n"):
                    raise TraceError(
                        self.path,
                        self._number,
                        None,
                        "truncated last line (no newline, incomplete JSON)",
                    ) from None
                raise TraceError(
                    self.path, self._number, None, f"invalid JSON at column {e.colno}: {e.msg}"
                ) from None

    def __iter__(self) -> Iterator[Line]:
        last_seq: int | None = None
        while True:
            item = self._next_raw()
            if item is None:
                return
            number, data = item
            if not isinstance(data, dict):
                raise TraceError(self.path, number, None, "an event must be a JSON object")
            try:
                event = TraceEvent.model_validate(data)
                event.action()
            except ValidationError as e:
                raise _validation_error(self.path, number, e) from None
            if last_seq is not None and event.seq <= last_seq:
                kind = "duplicated" if event.seq == last_seq else "decreasing"
                raise TraceError(
                    self.path,
                    number,
                    "seq",
                    f"{kind} sequence number {event.seq} after {last_seq}",
                )
            last_seq = event.seq
            yield Line(number, event)

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> TraceReader:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def validate_file(path: str | Path) -> int:
    """Read a whole trace, raising TraceError at the first problem; the event count."""
    with TraceReader(path) as reader:
        return sum(1 for _ in reader)


class TraceWriter:
    """Writes a trace line by line."""

    def __init__(self, path: str | Path, header: TraceHeader) -> None:
        self._file = open(path, "w", encoding="utf-8")  # noqa: SIM115
        self._seq = 0
        self._write(header.model_dump(mode="json", exclude_none=True))

    def _write(self, data: dict[str, Any]) -> None:
        self._file.write(json.dumps(data, separators=(",", ":")) + "\n")

    def event(self, **fields: Any) -> TraceEvent:
        event = TraceEvent(seq=self._seq, **fields)
        self._seq += 1
        self._write(
            event.model_dump(mode="json", exclude_none=True, exclude_defaults=True)
            | {"seq": event.seq, "call": event.call}
        )
        return event

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> TraceWriter:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def json_schema() -> dict[str, Any]:
    """The JSON Schema of a trace line: the header or an event."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": f"{FORMAT} version {VERSION}",
        "description": "One JSON object per line: the first line is a TraceHeader, every "
        "other line a TraceEvent.",
        "$defs": {
            "TraceHeader": TraceHeader.model_json_schema(),
            "TraceEvent": TraceEvent.model_json_schema(),
        },
        "oneOf": [{"$ref": "#/$defs/TraceHeader"}, {"$ref": "#/$defs/TraceEvent"}],
    }

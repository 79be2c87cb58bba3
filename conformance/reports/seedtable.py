"""Rendering runs as the seed's three-column table: Source process | IPC | Target process.

A row groups the calls of one step of the seed's handoff (or, for a run that does not
follow the seed, one call). Winsock calls show the SPI function the provider implements
beside the API call an application makes, then the result.
"""

from __future__ import annotations

from dataclasses import dataclass

from wsshare.model import Err, Ok, Pending
from wsshare.model.actions import SPI_NAME, Action, IpcRecv, IpcSend, PeerSeesClose, PeerSend
from wsshare.model.state import Done, InfoMessage, PidReply, PidRequest

_MESSAGE_WORDS = {
    PidRequest: "the request for the target's process id",
    PidReply: "the target's process id",
    InfoMessage: "the WSAPROTOCOL_INFO",
    Done: "the message that the target has its descriptor",
}


# Calls the model splits for clarity but an application makes under one name.
_API_DISPLAY = {
    "WSASocketFromInfo": "WSASocket",
    "recv_return": "recv returns",
    "ioctlsocket_fionbio": "ioctlsocket FIONBIO",
}


def call_label(action: Action) -> str:
    """`WSPDuplicateSocket (WSADuplicateSocket) h1 for pid 2`, or IPC in words."""
    if isinstance(action, IpcSend):
        what = _MESSAGE_WORDS[type(action.message)]
        if isinstance(action.message, PidReply):
            what += f" ({action.message.pid})"
        if isinstance(action.message, InfoMessage):
            what += f" #{action.message.info}"
        return f"sends {what}"
    if isinstance(action, IpcRecv):
        return "receives a message"
    if isinstance(action, PeerSend):
        return f"the remote peer sends data on socket {action.socket}"
    if isinstance(action, PeerSeesClose):
        return f"the remote peer sees socket {action.socket} close (FIN)"
    data = action.model_dump(mode="json")
    api = data.pop("call")
    data.pop("pid", None)
    shown = _API_DISPLAY.get(api, api)
    name = f"{SPI_NAME[api]} ({shown})" if api in SPI_NAME else shown
    args = []
    if "handle" in data:
        args.append(f"h{data.pop('handle')}")
    if "target_pid" in data:
        args.append(f"for pid {data.pop('target_pid')}")
    if data.pop("buffer", True) is False:
        args.append("buffer NULL")
    if "info" in data:
        info = data.pop("info")
        args.append("bytes that are no info" if info is None else f"info #{info}")
    if data.get("variant") == "W":
        data.pop("variant")  # the W functions are the default; show only the A ones
    if data.get("provider") == 0:
        data.pop("provider")  # the default catalog entry
    for key, value in data.items():
        args.append(f"{key}={value}")
    return f"{name} {' '.join(args)}".strip()


def result_label(action: Action, result: Ok | Err | Pending) -> str:
    if isinstance(result, Err):
        return f"{result.error.name} ({result.error.value})"
    if isinstance(result, Pending):
        return "blocks"
    value = result.value
    call = getattr(action, "call", "")
    if value is None:
        return "OK"
    if call in ("WSASocket", "WSASocketFromInfo", "accept"):
        return f"OK, handle h{value}" if value else "OK, a value that names no socket"
    if call == "WSADuplicateSocket":
        return f"OK, info #{value}"
    if isinstance(value, PidRequest | PidReply | InfoMessage | Done):
        words = _MESSAGE_WORDS[type(value)]
        if isinstance(value, PidReply):
            words += f" ({value.pid})"
        return f"gets {words}"
    return f"OK, {value}"


@dataclass
class Row:
    step: str
    source: list[str]
    ipc: str
    target: list[str]


@dataclass(frozen=True)
class TableEntry:
    """One call of a run: who made it (pid), what, the result, and its seed step if any."""

    pid: int | None
    action: Action
    result: Ok | Err | Pending
    step: int | None = None
    # Replaces the rendering of the call (an SPI step names its provider, say).
    label: str | None = None


def build_rows(entries: list[TableEntry], source_pid: int, target_pid: int) -> list[Row]:
    rows: list[Row] = []
    by_step: dict[str, Row] = {}
    for n, e in enumerate(entries, start=1):
        key = str(e.step) if e.step is not None else f"({n})"
        row = by_step.get(key)
        if row is None:
            row = Row(key, [], "", [])
            by_step[key] = row
            rows.append(row)
        text = e.label or f"{call_label(e.action)} → {result_label(e.action, e.result)}"
        if isinstance(e.action, IpcSend):
            row.ipc = _arrow(e.pid, e.action.to, source_pid, target_pid)
        if isinstance(e.action, PeerSend | PeerSeesClose):
            row.ipc = f"{row.ipc} (peer: {text})".strip()
        elif e.pid == target_pid:
            row.target.append(text)
        elif e.pid == source_pid or e.pid is None:
            row.source.append(text)
        else:
            row.target.append(f"P{e.pid}: {text}")
    return rows


def _arrow(sender: int | None, receiver: int, source: int, target: int) -> str:
    if (sender, receiver) == (source, target):
        return "==>"
    if (sender, receiver) == (target, source):
        return "<=="
    return f"P{sender} → P{receiver}"


def _cell(texts: list[str]) -> str:
    """Table cells joined by '; ', with '|' escaped so a value cannot split a row."""
    return "; ".join(texts).replace("|", "\\|")


def markdown(rows: list[Row]) -> str:
    lines = [
        "| Step | Source process | IPC | Target process |",
        "|---|---|---|---|",
    ]
    for r in rows:
        lines.append(f"| {r.step} | {'; '.join(r.source)} | {r.ipc} | {'; '.join(r.target)} |")
    return "\n".join(lines)

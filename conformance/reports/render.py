"""Rendering a recorded trace for a person: the seed's table, and a sequence chart.

A checker verdict names an event by its index; to see why it fails, one needs the run
around it laid out the way the seed lays out the handoff. The table reuses the seed's
renderer (seedtable), so a recorded trace and the model's own handoff read alike. The
chart is one self-contained HTML file (inline CSS and SVG, no script, nothing fetched), so
it can be attached to a CI run or mailed and still open years later, offline.

Both read the trace with TraceReader and keep one small record per event, so their cost is
linear in the trace's length. Malformed input raises trace.TraceError, as everywhere else.
"""

from __future__ import annotations

import html
import json
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from wsshare.model import Err, Ok, Pending, WsaError
from wsshare.model.actions import (
    Action,
    IpcRecv,
    IpcSend,
    PeerSeesClose,
    PeerSend,
    Recv,
    RecvReturn,
    WSADuplicateSocket,
    WSASocketFromInfo,
)
from wsshare.model.state import InfoMessage

from ..trace import TraceEvent, TraceHeader, TraceReader
from .seedtable import Row, TableEntry, build_rows, markdown

# A pid that no process has (trace pids are >= 1): the target column of a trace in which
# only one process acts stays empty instead of swallowing the source's calls.
_NO_PID = 0


class _Numbering:
    """Numbers opaque observed identities (info digests, socket identities) in order of
    first appearance, so the seed's labels (`info #0`, `socket 0`) can show them: the
    table speaks of small numbers, a recorder of hashes and inode strings."""

    def __init__(self) -> None:
        self._ids: dict[str, int] = {}

    def __call__(self, key: str) -> int:
        return self._ids.setdefault(key, len(self._ids))


def _result(event: TraceEvent) -> Ok | Err | Pending:
    """The model result an event observed. A value the model's result type cannot hold (a
    message of a kind the model lacks) is kept as its JSON text: the renderer shows what
    was recorded; judging it is the checker's job."""
    if event.phase == "call" or event.result == "pending":
        return Pending()
    if event.result == "error":
        return Err(error=WsaError.from_name(event.error or ""))
    try:
        return Ok(value=event.value)
    except ValidationError:
        return Ok(value=json.dumps(event.value, sort_keys=True))


def _table_entry(event: TraceEvent, infos: _Numbering, sockets: _Numbering) -> TableEntry:
    """The event as a row item of the seed's table, with observed pids and handles.

    Info digests and socket identities become numbers (see _Numbering), since the seed's
    labels only speak of numbers; the return of a recv that blocked becomes the model's
    `recv returns`, as the corpus writer recorded it."""
    action: Action = event.action()
    result = _result(event)
    if event.phase == "return" and isinstance(action, Recv):
        action = RecvReturn(pid=action.pid, handle=action.handle)
    digest = event.info_digest
    if digest is not None:
        if isinstance(action, WSASocketFromInfo):
            action = action.model_copy(update={"info": infos(digest)})
        elif isinstance(action, IpcSend) and isinstance(action.message, InfoMessage):
            action = action.model_copy(update={"message": InfoMessage(info=infos(digest))})
        elif isinstance(action, WSADuplicateSocket) and isinstance(result, Ok):
            result = Ok(value=infos(digest))
    if isinstance(action, PeerSend | PeerSeesClose) and event.socket is not None:
        action = action.model_copy(update={"socket": sockets(event.socket)})
    return TableEntry(event.pid, action, result, None)


def _cell(text: str) -> str:
    """Observed strings (a recv's value, say) may hold a pipe or a newline, which would
    split a markdown cell."""
    return text.replace("|", "\\|").replace("\r", " ").replace("\n", " ")


def _escape_rows(rows: list[Row]) -> list[Row]:
    return [
        Row(_cell(r.step), [_cell(s) for s in r.source], _cell(r.ipc), [_cell(t) for t in r.target])
        for r in rows
    ]


def trace_table_markdown(path: str) -> str:
    """The trace as the seed's Source | IPC | Target table, under a one-line title.

    The source is the first process that acts, the target the second (the seed's order:
    the source starts the handoff); a third process's calls go to the target column with
    their pid. Rows are numbered `(n)` since a recording knows nothing of the seed's steps.
    """
    infos, sockets = _Numbering(), _Numbering()
    entries: list[TableEntry] = []
    acting: dict[int, None] = {}
    with TraceReader(path) as reader:
        header = reader.header
        for line in reader:
            event = line.event
            if event.pid is not None:
                acting.setdefault(event.pid, None)
            entries.append(_table_entry(event, infos, sockets))
    pids = list(acting)
    source = pids[0] if pids else _NO_PID
    target = pids[1] if len(pids) > 1 else _NO_PID
    who = (
        f"source pid {source}" if pids else "no process acts",
        f"target pid {target}" if len(pids) > 1 else "no target process",
    )
    title = (
        f"Trace `{path}` (implementation {header.implementation}, {len(entries)} events): "
        f"{who[0]}, {who[1]}"
    )
    table = markdown(_escape_rows(build_rows(entries, source, target)))
    return f"{' '.join(title.splitlines())}\n\n{table}"  # a header's free text may hold newlines


# -- the sequence chart ---------------------------------------------------------------

_PEER = "peer"
Lane = int | str  # a pid, or _PEER

# Geometry, in SVG user units (pixels). Lanes are wider than boxes so that the arrows of
# messages run through a gap that stays readable when a reply comes rows later.
_GUTTER = 96
_LANE_W = 330
_BOX_W = 232
_BOX_H = 34
_ROW_H = 46
_TOP = 58
_BOTTOM = 28
_MAX_CHARS = 34  # characters of 11px monospace that fit in a box
_HANDLE_CALLS = frozenset({"WSASocket", "WSASocketFromInfo", "accept"})

_CSS = """
body { font-family: system-ui, sans-serif; margin: 1.5em; color: #222; }
h1 { font-size: 1.3em; margin: 0 0 0.3em; }
p.meta { color: #555; margin: 0 0 0.8em; }
p.note { border-left: 4px solid #c00; background: #fff0f0; padding: 0.5em 0.8em;
  white-space: pre-wrap; }
ul.legend { list-style: none; padding: 0; display: flex; gap: 1.5em; font-size: 0.9em; }
ul.legend span { display: inline-block; width: 1.2em; height: 0.8em; margin-right: 0.3em;
  vertical-align: middle; border: 1.5px solid #333; }
ul.legend .k-err { border-color: #c00; background: #fff0f0; }
ul.legend .k-open { border-style: dashed; }
ul.legend .k-hl { border: 3px solid #c00; }
svg text { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 11px; }
.lane-head rect { fill: #eef2f7; stroke: #456; }
.lane-head text { font-weight: bold; text-anchor: middle; }
.lane-head text.role { font-weight: normal; fill: #567; font-size: 10px; }
.lifeline { stroke: #89a; stroke-dasharray: 4 4; }
.gutter { fill: #777; }
.ev rect { fill: #fff; stroke: #333; stroke-width: 1.2; }
.ev .tail { fill: #264; }
.ev.err rect { fill: #fff0f0; stroke: #c00; }
.ev.err text { fill: #c00; }
.ev.open rect { stroke-dasharray: 5 3; fill: #fafaf0; }
.ev.open .tail { fill: #860; }
.ev.hl rect { stroke: #c00; stroke-width: 3.5; }
.span { fill: #f4f0d8; stroke: #a80; stroke-dasharray: 3 3; }
.span.unended { fill: url(#open-fade); stroke: #a80; }
.open-tag { fill: #860; font-size: 10px; text-anchor: middle; }
.hl-row { fill: #ffe4e4; }
.hl-tag { fill: #c00; font-weight: bold; }
.msg { stroke: #246; stroke-width: 1.4; fill: none; marker-end: url(#arrow); }
.msg.lost { stroke-dasharray: 6 4; stroke: #999; }
.msg-label { fill: #246; paint-order: stroke; stroke: #fff; stroke-width: 3px; }
.empty { fill: #777; }
"""


@dataclass
class _Box:
    """What the chart draws for one event: computed in the single reading pass, drawn
    once the lanes are known."""

    index: int
    seq: int
    line: int
    lane: Lane
    head: str
    tail: str
    detail: str
    status: str  # "ok", "err" or "open"


@dataclass
class _Message:
    """An ipc_send, and the ipc_recv that took it off the channel (None if none did)."""

    send: int
    sender: Lane
    receiver: Lane
    label: str
    recv: int | None = None


@dataclass
class _Span:
    """A call recorded as two events (or a pending result): open from `start` until the
    return at `end`, or to the end of the trace when it never returned."""

    lane: Lane
    start: int
    end: int | None


@dataclass
class _Chart:
    header: TraceHeader
    boxes: list[_Box] = field(default_factory=list)
    messages: list[_Message] = field(default_factory=list)
    spans: list[_Span] = field(default_factory=list)
    lanes: list[Lane] = field(default_factory=list)
    roles: dict[Lane, str] = field(default_factory=dict)  # as the table assigns them


def _message_text(message: Any) -> str:
    if isinstance(message, dict):
        kind = str(message.get("kind", "?"))
        return f"{kind} {message['pid']}" if "pid" in message else kind
    return str(message)


def _arg_text(key: str, value: Any) -> str | None:
    if key == "handle":
        return f"h{value}"
    if key == "target_pid":
        return f"pid {value}"
    if key == "to":
        return f"to {value}"
    if key == "sender":
        return f"from {value}"
    if key == "message":
        return _message_text(value)
    if key == "buffer":
        return None if value else "buffer NULL"
    return f"{key}={value}"


def _head(event: TraceEvent) -> str:
    """The call with its key arguments, short enough for a box."""
    args = [a for a in (_arg_text(k, v) for k, v in event.args.items()) if a is not None]
    if event.pid is None and event.socket is not None:
        args.append(event.socket)
    if event.info_digest is not None and event.call != "WSADuplicateSocket":
        tag = f"info {_short(event.info_digest)}"
        args = [tag if a == "info" else a for a in args] if "info" in args else [*args, tag]
    return f"{event.call}({', '.join(args)})"


def _short(digest: str) -> str:
    """Enough of a digest to tell the infos of one trace apart at a glance (the duplicate
    that made it, the send that carried it, the WSASocket that used it)."""
    return digest[:6]


def _tail(event: TraceEvent) -> str:
    if event.phase == "call":
        return "… blocks (call open)"
    if event.result == "pending":
        return "… pending"
    prefix = "returns " if event.phase == "return" else ""
    if event.result == "error":
        code = WsaError.from_name(event.error or "")
        return f"{prefix}✗ {code.name} ({code.value})"
    value = event.value
    if event.call == "WSADuplicateSocket" and event.info_digest is not None:
        return f"{prefix}→ OK info {_short(event.info_digest)}"
    if value is None:
        return f"{prefix}→ OK"
    if isinstance(value, dict):
        return f"{prefix}→ OK {_message_text(value)}"
    if event.call in _HANDLE_CALLS and isinstance(value, int):
        return f"{prefix}→ OK h{value}"
    return f"{prefix}→ OK {value}"


def _detail(index: int, line: int, event: TraceEvent) -> str:
    """Everything recorded about the event, for the tooltip: boxes are truncated."""
    who = f"pid {event.pid}" if event.pid is not None else "remote peer"
    parts = [f"event #{index}, seq {event.seq}, line {line}"]
    if event.time is not None:
        parts.append(f"time {event.time}")
    if event.tid is not None:
        parts.append(f"tid {event.tid}")
    lines = [", ".join(parts)]
    args = json.dumps(event.args, sort_keys=True) if event.args else "{}"
    lines.append(f"{who}: {event.call} {args} [{event.phase}]")
    lines.append(_tail(event))
    if event.socket is not None:
        lines.append(f"socket {event.socket}")
    if event.info_digest is not None:
        lines.append(f"info digest {event.info_digest}")
    return "\n".join(lines)


def _collect(path: str) -> _Chart:
    """One pass over the trace: a box per event, messages matched to their receipt, and
    calls left open. Each channel (sender, receiver) is FIFO, as the model's channels are,
    so an ipc_recv takes the oldest message its sender put on that channel."""
    channels: dict[tuple[int, int], deque[_Message]] = {}
    open_calls: dict[tuple[int | None, int | None, str], int] = {}
    acting: dict[Lane, None] = {}
    receivers: dict[Lane, None] = {}
    with TraceReader(path) as reader:
        chart = _Chart(reader.header)
        for index, line in enumerate(reader):
            event = line.event
            lane: Lane = event.pid if event.pid is not None else _PEER
            if event.pid is not None:
                acting.setdefault(event.pid, None)
            is_open = event.phase == "call" or event.result == "pending"
            status = "err" if event.result == "error" else "open" if is_open else "ok"
            chart.boxes.append(
                _Box(
                    index,
                    event.seq,
                    line.number,
                    lane,
                    _head(event),
                    _tail(event),
                    _detail(index, line.number, event),
                    status,
                )
            )
            key = (event.pid, event.tid, event.call)
            if event.phase == "return" and key in open_calls:
                chart.spans.append(_Span(lane, open_calls.pop(key), index))
            if is_open:
                previous = open_calls.pop(key, None)
                if previous is not None:  # a second call on the same thread: never returned
                    chart.spans.append(_Span(lane, previous, None))
                open_calls[key] = index
            if event.result != "ok" or event.pid is None:
                continue
            action = event.action()
            if isinstance(action, IpcSend):
                message = _Message(
                    index, event.pid, action.to, _message_text(event.args["message"])
                )
                chart.messages.append(message)
                channels.setdefault((event.pid, action.to), deque()).append(message)
                receivers.setdefault(action.to, None)
            elif isinstance(action, IpcRecv):
                waiting = channels.get((action.sender, event.pid))
                if waiting:
                    waiting.popleft().recv = index
    unreturned = sorted(open_calls.values())
    chart.spans.extend(_Span(chart.boxes[start].lane, start, None) for start in unreturned)
    lanes = list(acting)
    lanes += [p for p in chart.header.processes or [] if p not in acting]
    lanes += [p for p in receivers if p not in lanes]
    if any(b.lane == _PEER for b in chart.boxes):
        lanes.append(_PEER)
    chart.lanes = lanes
    chart.roles = dict(zip(acting, ("source", "target"), strict=False))
    return chart


def _clip(text: str) -> str:
    return text if len(text) <= _MAX_CHARS else text[: _MAX_CHARS - 1] + "…"


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _lane_label(chart: _Chart, lane: Lane) -> tuple[str, str]:
    if lane == _PEER:
        return "remote peer", "not a process"
    return f"pid {lane}", chart.roles.get(lane, "")


def _svg(chart: _Chart, highlight: int | None) -> str:
    """The chart as SVG: lifelines, open calls, message arrows, then the event boxes on
    top, so that an arrow crossing a third lane never hides a box's text."""
    x_of = {lane: _GUTTER + _LANE_W * k + _LANE_W // 2 for k, lane in enumerate(chart.lanes)}
    rows = max(1, len(chart.boxes))
    width = _GUTTER + _LANE_W * max(1, len(chart.lanes)) + 10
    bottom = _TOP + _ROW_H * rows
    height = bottom + _BOTTOM

    def mid(index: int) -> int:
        return _TOP + _ROW_H * index + _ROW_H // 2

    out: list[str] = [
        f'<svg width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="sequence chart of {len(chart.boxes)} events">',
        "<defs>",
        '<marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" '
        'markerHeight="8" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
        'fill="#246"/></marker>',
        '<linearGradient id="open-fade" x1="0" y1="0" x2="0" y2="1">'
        '<stop offset="0" stop-color="#eedc9a"/><stop offset="1" stop-color="#fff"/>'
        "</linearGradient>",
        "</defs>",
    ]
    if highlight is not None:
        y = _TOP + _ROW_H * highlight
        out.append(f'<rect class="hl-row" x="0" y="{y}" width="{width}" height="{_ROW_H}"/>')
    for lane in chart.lanes:
        x = x_of[lane]
        label, role = _lane_label(chart, lane)
        kind = "lifeline peer" if lane == _PEER else "lifeline"
        out.append(
            f'<g class="lane-head"><rect x="{x - 80}" y="6" width="160" height="38" rx="4"/>'
            f'<text x="{x}" y="23">{_e(label)}</text>'
            f'<text class="role" x="{x}" y="37">{_e(role)}</text></g>'
            f'<line class="{kind}" data-lane="{_e(label)}" x1="{x}" y1="44" x2="{x}" '
            f'y2="{bottom}"/>'
        )
    for span in chart.spans:
        x, y1 = x_of[span.lane], mid(span.start) + _BOX_H // 2
        ended = span.end is not None
        y2 = mid(span.end) - _BOX_H // 2 if span.end is not None else bottom
        cls = "span" if ended else "span unended"
        out.append(f'<rect class="{cls}" x="{x - 5}" y="{y1}" width="10" height="{y2 - y1}"/>')
        if not ended:
            tag = f"#{span.start} still open"
            out.append(f'<text class="open-tag" x="{x}" y="{bottom + 14}">{tag}</text>')
    for message in chart.messages:
        out.append(_arrow(message, x_of, mid))
    for box in chart.boxes:
        out.append(_box(box, x_of[box.lane], mid(box.index), box.index == highlight))
    if not chart.boxes:
        out.append(f'<text class="empty" x="{_GUTTER}" y="{mid(0)}">(no events)</text>')
    out.append("</svg>")
    return "\n".join(out)


def _arrow(message: _Message, x_of: dict[Lane, int], mid: Callable[[int], int]) -> str:
    """An arrow from the send's box to the box of the receipt; a message nobody took off
    the channel ends, dashed, on the receiver's lifeline in the send's row."""
    xs, xr = x_of[message.sender], x_of[message.receiver]
    ys = mid(message.send)
    half = _BOX_W // 2
    label = _e(message.label)
    title = f"<title>{_e(f'message #{message.send}: {message.label}')}</title>"
    received = "none" if message.recv is None else message.recv
    group = f'<g class="message" data-send="{message.send}" data-recv="{received}">'
    if message.recv is None:
        x1 = xs + half if xr >= xs else xs - half
        return (
            f'{group}<line class="msg lost" x1="{x1}" y1="{ys}" x2="{xr}" y2="{ys}"/>{title}'
            f'<text class="msg-label" x="{(x1 + xr) // 2}" y="{ys - 5}" text-anchor="middle">'
            f"{label} (not received)</text></g>"
        )
    yr = mid(message.recv)
    if xr == xs:  # a process sending to itself: a loop on the right of its lifeline
        x1 = xs + half
        return (
            f'{group}<path class="msg" d="M{x1},{ys} h24 V{yr} h-24"/>{title}'
            f'<text class="msg-label" x="{x1 + 28}" y="{(ys + yr) // 2}">{label}</text></g>'
        )
    x1, x2 = (xs + half, xr - half) if xr > xs else (xs - half, xr + half)
    return (
        f'{group}<line class="msg" x1="{x1}" y1="{ys}" x2="{x2}" y2="{yr}"/>{title}'
        f'<text class="msg-label" x="{(x1 + x2) // 2}" y="{(ys + yr) // 2 - 4}" '
        f'text-anchor="middle">{label}</text></g>'
    )


def _box(box: _Box, x: int, y_mid: int, marked: bool) -> str:
    classes = f"ev {box.status}" + (" hl" if marked else "")
    left, top = x - _BOX_W // 2, y_mid - _BOX_H // 2
    gutter_y = y_mid - 3
    gutter = (
        f'<text class="gutter" x="6" y="{gutter_y}">#{box.index}</text>'
        f'<text class="gutter" x="6" y="{gutter_y + 13}">seq {box.seq}</text>'
    )
    if marked:
        gutter += f'<text class="hl-tag" x="44" y="{gutter_y}">violation</text>'
    return (
        f'<g id="ev-{box.index}" class="{classes}"><title>{_e(box.detail)}</title>'
        f'<rect x="{left}" y="{top}" width="{_BOX_W}" height="{_BOX_H}" rx="3"/>'
        f'<text x="{left + 6}" y="{top + 14}">{_e(_clip(box.head))}</text>'
        f'<text class="tail" x="{left + 6}" y="{top + 28}">{_e(_clip(box.tail))}</text>'
        f"{gutter}</g>"
    )


def sequence_chart_html(
    path: str, *, title: str | None = None, highlight: int | None = None, note: str = ""
) -> str:
    """A self-contained HTML page with the trace as a sequence chart.

    One lifeline per process (and one for the remote peer when it acts), one box per
    event in trace order, an arrow per IPC message from its send to its receipt. Errors are
    red, calls still open are dashed. `highlight` (an event index, as in a checker
    Violation) marks that event as the violation; `note` (the checker's explanation, say)
    is shown above the chart. Hovering a box shows everything recorded about the event.

    Raises TraceError for a malformed trace, ValueError for a highlight past its end.
    """
    chart = _collect(path)
    if highlight is not None and not 0 <= highlight < len(chart.boxes):
        raise ValueError(
            f"highlight {highlight} names no event: the trace has {len(chart.boxes)} events"
        )
    header = chart.header
    heading = title if title is not None else f"Trace {Path(path).name}"
    meta = [f"implementation {header.implementation}"]
    if header.platform:
        meta.append(f"platform {header.platform}")
    if header.recorder:
        meta.append(f"recorded by {header.recorder}")
    meta.append(f"level {header.level}")
    if header.unobserved:
        meta.append(f"not observed: {', '.join(header.unobserved)}")
    meta.append(f"{len(chart.boxes)} events")
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        f"<title>{_e(heading)}</title>",
        f"<style>{_CSS}</style>",
        "</head>",
        "<body>",
        f"<h1>{_e(heading)}</h1>",
        f'<p class="meta">{_e(" · ".join(meta))}<br>file {_e(path)}</p>',
    ]
    if highlight is not None:
        box = chart.boxes[highlight]
        where = f"Violation at event #{highlight} (seq {box.seq}, line {box.line})"
        text = f"{where}: {note}" if note else where
        parts.append(f'<p class="note">{_e(text)}</p>')
    elif note:
        parts.append(f'<p class="note">{_e(note)}</p>')
    parts += [
        '<ul class="legend"><li><span></span>call returned</li>'
        '<li><span class="k-err"></span>error result</li>'
        '<li><span class="k-open"></span>call still open</li>'
        '<li><span class="k-hl"></span>violation</li></ul>',
        _svg(chart, highlight),
        "</body>",
        "</html>",
    ]
    return "\n".join(parts) + "\n"

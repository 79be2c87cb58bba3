"""Rendering traces for people: the seed's table and the HTML sequence chart, on traces the
corpus writer makes from the scenarios and on hand-written ones for the corner cases."""

import json
import xml.etree.ElementTree as ET

import pytest

from wsshare.conformance.fixtures.corpus import (
    observed_handle,
    observed_pid,
    scenario_steps,
    write_trace,
)
from wsshare.conformance.fixtures.scenarios import SCENARIOS_BY_ID
from wsshare.conformance.reports.render import sequence_chart_html, trace_table_markdown
from wsshare.conformance.trace import TraceError, TraceHeader, TraceWriter

SOURCE, TARGET = observed_pid(1), observed_pid(2)
H1 = observed_handle(1)


def scenario_trace(tmp_path, scenario_id):
    path = tmp_path / f"{scenario_id.lower()}.jsonl"
    steps, departed = scenario_steps(SCENARIOS_BY_ID[scenario_id])
    assert departed is None
    write_trace(path, steps)
    return path


def events_of(path):
    return [json.loads(line) for line in path.read_text().splitlines()[1:]]


def hand_trace(path, events, implementation="hand"):
    with TraceWriter(path, TraceHeader(implementation=implementation)) as writer:
        for fields in events:
            writer.event(**fields)
    return path


def ok(pid, call, **fields):
    return {"pid": pid, "call": call, "result": "ok", **fields}


def send(pid, to, kind="done"):
    return ok(pid, "ipc_send", args={"to": to, "message": {"kind": kind}})


def recv(pid, sender, kind="done"):
    return ok(pid, "ipc_recv", args={"sender": sender}, value={"kind": kind})


def table_rows(text):
    """The table's body rows as cells [step, source, ipc, target]."""
    lines = [line for line in text.splitlines() if line.startswith("| (")]
    return [[cell.strip() for cell in line.strip("|").split(" | ")] for line in lines]


def svg_of(page):
    """The chart as an element tree: parsing it also proves every text was escaped."""
    start, end = page.index("<svg"), page.index("</svg>") + len("</svg>")
    return ET.fromstring(page[start:end])


def event_groups(svg):
    return {g.get("id"): g for g in svg.iter("g") if (g.get("id") or "").startswith("ev-")}


def row_mid(group):
    rect = group.find("rect")
    return float(rect.get("y")) + float(rect.get("height")) / 2


def messages(svg):
    return [g for g in svg.iter("g") if g.get("class") == "message"]


# -- the table ----------------------------------------------------------------------


def test_seed_table_puts_the_duplicate_in_the_source_column(tmp_path):
    path = scenario_trace(tmp_path, "SEED")
    text = trace_table_markdown(str(path))
    title, blank, header, *_ = text.splitlines()
    assert path.name in title and "implementation model" in title
    assert f"source pid {SOURCE}" in title and f"target pid {TARGET}" in title
    assert blank == ""
    assert header == "| Step | Source process | IPC | Target process |"
    rows = table_rows(text)
    assert [r[0] for r in rows] == [f"({n})" for n in range(1, len(events_of(path)) + 1)]
    duplicate = next(r for r in rows if "WSPDuplicateSocket" in r[1])
    assert duplicate[1] == (
        f"WSPDuplicateSocket (WSADuplicateSocket) h{H1} for pid {TARGET} → OK, info #0"
    )
    assert duplicate[3] == ""
    # The target materialises the same info (its digest is numbered like the duplicate's).
    made = next(r for r in rows if "WSPSocket (WSASocket) info" in r[3])
    assert made[3] == f"WSPSocket (WSASocket) info #0 → OK, handle h{H1}"
    assert made[1] == ""


def test_seed_table_shows_the_direction_of_each_message(tmp_path):
    rows = table_rows(trace_table_markdown(str(scenario_trace(tmp_path, "SEED"))))
    arrows = [r[2] for r in rows if r[2] in ("==>", "<==")]
    # request, reply, info, done: as in the seed's steps 2, 3, 6 and 10.
    assert arrows == ["==>", "<==", "==>", "<=="]
    assert any("peer: the remote peer sends data" in r[2] for r in rows)


def test_table_shows_a_blocked_call_and_errors(tmp_path):
    rows = table_rows(trace_table_markdown(str(scenario_trace(tmp_path, "C21"))))
    assert f"WSPRecv (recv) h{H1} → blocks" in [r[3] for r in rows]
    rows = table_rows(trace_table_markdown(str(scenario_trace(tmp_path, "C13"))))
    assert f"WSPSend (send) h{H1} → WSAENOTSOCK (10038)" in [r[3] for r in rows]


def test_table_of_one_process_leaves_the_target_column_empty(tmp_path):
    text = trace_table_markdown(str(scenario_trace(tmp_path, "C4")))
    assert "no target process" in text.splitlines()[0]
    assert all(r[3] == "" for r in table_rows(text))


def test_table_return_of_a_blocked_recv_reads_as_recv_returns(tmp_path):
    path = hand_trace(
        tmp_path / "t.jsonl",
        [
            {"pid": 5, "call": "recv", "phase": "call", "args": {"handle": 8}},
            {"pid": 5, "call": "recv", "phase": "return", "args": {"handle": 8}}
            | {"result": "error", "error": "WSAEINTR"},
        ],
    )
    rows = table_rows(trace_table_markdown(str(path)))
    assert [r[1] for r in rows] == [
        "WSPRecv (recv) h8 → blocks",
        "WSPRecv (recv returns) h8 → WSAEINTR (10004)",
    ]


def test_table_escapes_a_pipe_in_an_observed_value(tmp_path):
    path = hand_trace(tmp_path / "t.jsonl", [ok(5, "recv", args={"handle": 8}, value="a|b\nc")])
    text = trace_table_markdown(str(path))
    last = text.splitlines()[-1]
    assert "a\\|b c" in last
    assert last.replace("\\|", "").count("|") == 5  # still four cells


# -- the chart --------------------------------------------------------------------------


def test_chart_is_self_contained_html_with_one_lifeline_per_process(tmp_path):
    page = sequence_chart_html(str(scenario_trace(tmp_path, "SEED")))
    assert page.startswith("<!DOCTYPE html>")
    for banned in ("http://", "https://", "<script", "<link", "@import"):
        assert banned not in page
    svg = svg_of(page)
    lifelines = [el for el in svg.iter("line") if "lifeline" in (el.get("class") or "")]
    labels = sorted(el.get("data-lane") for el in lifelines)
    assert labels == sorted([f"pid {SOURCE}", f"pid {TARGET}", "remote peer"])
    assert [el.get("class") for el in lifelines].count("lifeline") == 2
    assert f">pid {SOURCE}<" in page and f">pid {TARGET}<" in page


def test_chart_has_a_box_per_event_in_time_order(tmp_path):
    path = scenario_trace(tmp_path, "SEED")
    groups = event_groups(svg_of(sequence_chart_html(str(path))))
    assert len(groups) == len(events_of(path))
    mids = [row_mid(groups[f"ev-{i}"]) for i in range(len(groups))]
    assert mids == sorted(mids) and len(set(mids)) == len(mids)
    first = "".join(groups["ev-8"].itertext())
    assert "WSADuplicateSocket" in first and f"h{H1}" in first and "OK" in first


def test_chart_draws_each_ipc_send_to_the_row_of_its_receipt(tmp_path):
    path = scenario_trace(tmp_path, "SEED")
    svg = svg_of(sequence_chart_html(str(path)))
    events = events_of(path)
    sends = [i for i, e in enumerate(events) if e["call"] == "ipc_send"]
    found = messages(svg)
    assert [int(m.get("data-send")) for m in found] == sends
    groups = event_groups(svg)
    for m in found:
        sent, received = int(m.get("data-send")), int(m.get("data-recv"))
        assert events[received]["call"] == "ipc_recv"
        assert events[received]["pid"] == events[sent]["args"]["to"]
        line = m.find("line")
        assert "lost" not in line.get("class")
        assert float(line.get("y1")) == row_mid(groups[f"ev-{sent}"])
        assert float(line.get("y2")) == row_mid(groups[f"ev-{received}"])


def test_chart_matches_messages_first_in_first_out_per_channel(tmp_path):
    path = hand_trace(
        tmp_path / "t.jsonl",
        [
            send(5, 6, "pid_request"),
            send(5, 6, "done"),
            send(6, 5, "done"),  # another channel: never received
            recv(6, 5, "pid_request"),
            recv(6, 5, "done"),
        ],
    )
    svg = svg_of(sequence_chart_html(str(path)))
    pairs = {m.get("data-send"): m.get("data-recv") for m in messages(svg)}
    assert pairs == {"0": "3", "1": "4", "2": "none"}
    lost = next(m for m in messages(svg) if m.get("data-send") == "2")
    assert "lost" in lost.find("line").get("class")
    assert "not received" in "".join(lost.itertext())


def test_chart_marks_the_highlighted_event_and_shows_the_note(tmp_path):
    path = scenario_trace(tmp_path, "SEED")
    page = sequence_chart_html(str(path), highlight=8, note="R4: <target> & info")
    groups = event_groups(svg_of(page))
    marked = [gid for gid, g in groups.items() if "hl" in g.get("class").split()]
    assert marked == ["ev-8"]
    assert "violation" in "".join(groups["ev-8"].itertext())
    note = page.index('<p class="note">')
    assert note < page.index("<svg")
    assert "R4: &lt;target&gt; &amp; info" in page[note : page.index("</p>", note)]
    assert "Violation at event #8" in page


def test_chart_without_highlight_marks_nothing(tmp_path):
    page = sequence_chart_html(str(scenario_trace(tmp_path, "SEED")))
    groups = event_groups(svg_of(page))
    assert not any("hl" in g.get("class").split() for g in groups.values())
    assert '<p class="note">' not in page


def test_chart_shows_a_note_without_a_highlight(tmp_path):
    page = sequence_chart_html(str(scenario_trace(tmp_path, "SEED")), note="conforms <ok>")
    assert '<p class="note">conforms &lt;ok&gt;</p>' in page


def test_chart_highlight_past_the_end_is_refused(tmp_path):
    path = scenario_trace(tmp_path, "SEED")
    with pytest.raises(ValueError, match="names no event"):
        sequence_chart_html(str(path), highlight=len(events_of(path)))


def test_chart_shows_errors_in_the_error_style(tmp_path):
    path = scenario_trace(tmp_path, "C13")
    events = events_of(path)
    groups = event_groups(svg_of(sequence_chart_html(str(path))))
    for i, e in enumerate(events):
        classes = groups[f"ev-{i}"].get("class").split()
        assert ("err" in classes) == (e["result"] == "error"), e
    assert "WSAENOTSOCK (10038)" in "".join(groups[f"ev-{len(events) - 1}"].itertext())
    assert ".ev.err rect" in sequence_chart_html(str(path))  # the style exists


def test_chart_keeps_a_call_that_never_returned_open(tmp_path):
    path = scenario_trace(tmp_path, "C21")
    events = events_of(path)
    pending = next(i for i, e in enumerate(events) if e.get("phase") == "call")
    svg = svg_of(sequence_chart_html(str(path)))
    assert "open" in event_groups(svg)[f"ev-{pending}"].get("class").split()
    spans = [r for r in svg.iter("rect") if "span" in (r.get("class") or "").split()]
    assert [s.get("class") for s in spans] == ["span unended"]
    assert f"#{pending} still open" in "".join(svg.itertext())


def test_chart_closes_the_span_of_a_call_at_its_return(tmp_path):
    path = hand_trace(
        tmp_path / "t.jsonl",
        [
            {"pid": 5, "tid": 1, "call": "recv", "phase": "call", "args": {"handle": 8}},
            ok(6, "WSAStartup"),
            {"pid": 5, "tid": 1, "call": "recv", "phase": "return", "args": {"handle": 8}}
            | {"result": "ok", "value": "data"},
        ],
    )
    svg = svg_of(sequence_chart_html(str(path)))
    spans = [r for r in svg.iter("rect") if "span" in (r.get("class") or "").split()]
    assert [s.get("class") for s in spans] == ["span"]
    groups = event_groups(svg)
    top = float(spans[0].get("y"))
    bottom = top + float(spans[0].get("height"))
    assert row_mid(groups["ev-0"]) < top < bottom < row_mid(groups["ev-2"])
    assert "open" not in groups["ev-2"].get("class").split()


def test_chart_escapes_every_recorded_string(tmp_path):
    path = hand_trace(
        tmp_path / "t.jsonl",
        [
            ok(5, "WSASocket", value=8, socket="<sock&1>"),
            ok(5, "recv", args={"handle": 8}, value="<b>x</b>", socket="<sock&1>"),
        ],
        implementation="<i>impl</i>",
    )
    page = sequence_chart_html(str(path), title="<script>alert(1)</script>")
    assert "<b>" not in page and "<i>" not in page and "<script" not in page
    assert "&lt;b&gt;x&lt;/b&gt;" in page
    assert "&lt;i&gt;impl&lt;/i&gt;" in page
    assert "&lt;sock&amp;1&gt;" in page
    svg_of(page)  # well-formed: nothing unescaped inside the chart


def test_chart_of_hundreds_of_events_grows_linearly(tmp_path):
    def trace(pairs):
        events = [ok(5, "WSAStartup"), ok(6, "WSAStartup")]
        for _ in range(pairs):
            events += [send(5, 6), recv(6, 5)]
        return hand_trace(tmp_path / f"{pairs}.jsonl", events)

    small = sequence_chart_html(str(trace(10)))
    large = sequence_chart_html(str(trace(300)))
    svg = svg_of(large)
    assert len(messages(svg)) == 300
    assert all(m.get("data-recv") != "none" for m in messages(svg))
    # 22 and 602 events: the size per event does not grow with the trace, and stays small.
    assert len(large) / 602 <= len(small) / 22
    assert len(large) / 602 < 1500


def test_malformed_trace_raises_trace_error(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"format": "wsshare-trace", "implementation": "x"}\n{"seq": 0, "call": "nope"')
    with pytest.raises(TraceError):
        trace_table_markdown(str(path))
    with pytest.raises(TraceError):
        sequence_chart_html(str(path))
    with pytest.raises(TraceError):
        sequence_chart_html(str(tmp_path / "missing.jsonl"))

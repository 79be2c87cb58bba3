"""The reachable-state graph: built with networkx after a search, projected, exported.

The search keeps compact arrays; networkx costs hundreds of bytes per edge, so a graph is
built only from a finished search and only below the export cap (design.md, "Exploration
and the graph"). Above the cap the export refuses and suggests a projection: a projection
keeps chosen fields of each world and merges the worlds that agree on them, which is how
a graph of a hundred thousand worlds becomes one a person can read.

Exports: GraphML, DOT (edges coloured and labelled by call), JSON node-link with a schema
version, a self-contained HTML view (our own small viewer, inlined; no CDN), and SVG or
PNG when Graphviz's `dot` is on PATH.
"""

from __future__ import annotations

import html
import json
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any

import networkx as nx  # type: ignore[import-untyped]

from wsshare.model.actions import describe, describe_result
from wsshare.model.search import StateSpace, Transition
from wsshare.model.state import (
    Channel,
    Descriptor,
    PendingRecv,
    Process,
    ProtocolInfo,
    Registration,
    UnderlyingSocket,
    World,
)

from ..loading import InputError
from .viewer import VIEWER_CSS, VIEWER_JS

# The version of the JSON node-link export (and of the data the HTML view embeds).
# Bump it when a key changes meaning or goes away.
SCHEMA = "wsshare-state-graph"
SCHEMA_VERSION = 1

# Nodes and edges a graph may have before an export refuses (see ExportTooLarge).
DEFAULT_MAX_NODES = 5_000
DEFAULT_MAX_EDGES = 50_000

FORMATS = ("graphml", "dot", "json", "html", "svg", "png")

# The collections of a World that a projection may keep, and their element fields.
COLLECTIONS: dict[str, tuple[str, ...]] = {
    "processes": tuple(Process.model_fields),
    "descriptors": tuple(Descriptor.model_fields),
    "sockets": tuple(UnderlyingSocket.model_fields),
    "registrations": tuple(Registration.model_fields),
    "infos": tuple(ProtocolInfo.model_fields),
    "channels": tuple(Channel.model_fields),
    "pending": tuple(PendingRecv.model_fields),
}

# Edge colours by call (DOT and HTML); calls not listed are grey.
CALL_COLOURS: dict[str, str] = {
    "WSADuplicateSocket": "#d62728",
    "WSASocketFromInfo": "#1f77b4",
    "WSASocket": "#2ca02c",
    "closesocket": "#9467bd",
    "process_exit": "#8c564b",
    "process_start": "#8c564b",
    "ipc_send": "#e377c2",
    "ipc_recv": "#e377c2",
    "connect": "#17becf",
    "bind": "#17becf",
    "listen": "#17becf",
    "accept": "#17becf",
    "send": "#bcbd22",
    "recv": "#bcbd22",
    "recv_return": "#bcbd22",
    "peer_send": "#ff7f0e",
    "peer_sees_close": "#ff7f0e",
}


class ExportTooLarge(Exception):
    """A graph above the export cap: the message names the cap and what to do."""


@dataclass(frozen=True)
class Projection:
    """Fields kept from each world: `collection` (the whole collection, e.g.
    `processes`) or `collection.field` (that field of each element, e.g.
    `sockets.open`). Worlds that agree on every kept field become one node."""

    fields: tuple[str, ...]

    @classmethod
    def parse(cls, text: str) -> Projection:
        fields = tuple(f.strip() for f in text.split(",") if f.strip())
        if not fields:
            raise InputError("--project: name at least one field, e.g. sockets.open")
        for f in fields:
            collection, _, element = f.partition(".")
            if collection not in COLLECTIONS:
                known = ", ".join(COLLECTIONS)
                raise InputError(f"--project: unknown collection {collection!r}; use {known}")
            if element and element not in COLLECTIONS[collection]:
                known = ", ".join(COLLECTIONS[collection])
                raise InputError(
                    f"--project: {collection} has no field {element!r}; use one of {known}"
                )
        return cls(fields)

    def of(self, world: World) -> dict[str, Any]:
        data = world.model_dump(mode="json")
        kept: dict[str, Any] = {}
        for f in self.fields:
            collection, _, element = f.partition(".")
            items = data[collection]
            kept[f] = [item[element] for item in items] if element else items
        return kept


def edge_label(t: Transition) -> str:
    return f"{describe(t.action)} → {describe_result(t.outcome.result)}"


def summary(world: World) -> str:
    """A one-line view of a world for node labels: processes, descriptors, sockets."""
    procs = " ".join(f"P{p.pid}:{p.status[0]}{p.startups}" for p in world.processes)
    descs = " ".join(f"P{d.pid}h{d.handle}→s{d.socket}" for d in world.descriptors) or "-"
    socks = " ".join(f"s{s.id}:{s.state}{'' if s.open else '(released)'}" for s in world.sockets)
    infos = " ".join(f"i{i.id}→P{i.target_pid}{'✓' if i.consumed else ''}" for i in world.infos)
    return " | ".join(x for x in (procs, descs, socks or "no sockets", infos) if x)


def build_graph(
    space: StateSpace,
    *,
    projection: Projection | None = None,
    highlight: Sequence[int] = (),
    meta: dict[str, Any] | None = None,
    max_nodes: int = DEFAULT_MAX_NODES,
    max_edges: int = DEFAULT_MAX_EDGES,
) -> nx.DiGraph:
    """A DiGraph of what `space` found (it must have been searched with keep_edges).

    Nodes are kept worlds (or, with a projection, classes of worlds that agree on the
    kept fields), with their fingerprint, depth, a summary and the world as JSON; edges
    carry the calls that join two nodes (parallel transitions are merged into one edge
    with a count). `highlight` is a path of kept-world indices (a counterexample), marked
    on nodes and edges. Refuses with ExportTooLarge above `max_nodes` or `max_edges`.
    """
    if space.edge_count and not space.transitions:
        raise ValueError("the search kept no transitions; search with keep_edges=True")
    if projection is None:
        node_of = list(range(space.states))
        nodes = space.states
    else:
        classes: dict[str, int] = {}
        node_of = []
        for w in space.worlds:
            k = json.dumps(projection.of(w), sort_keys=True)
            node_of.append(classes.setdefault(k, len(classes)))
        nodes = len(classes)
    if nodes > max_nodes:
        hint = (
            "a coarser --project"
            if projection
            else "--project FIELDS (e.g. sockets.open,infos.consumed,processes.status)"
        )
        raise ExportTooLarge(
            f"the graph has {nodes:,} nodes, above the export cap of {max_nodes:,} "
            f"(--max-nodes); use {hint} to merge states, or raise the cap"
        )
    g: nx.DiGraph = nx.DiGraph()
    g.graph.update(
        {
            "schema": SCHEMA,
            "schema_version": SCHEMA_VERSION,
            "states": space.states,
            "transitions": space.edge_count,
            "symmetry": space.symmetry,
            "projection": ",".join(projection.fields) if projection else "",
            **(meta or {}),
        }
    )
    marked = set(highlight)
    for i, w in enumerate(space.worlds):
        n = node_of[i]
        if n in g:
            g.nodes[n]["members"] += 1
            g.nodes[n]["depth"] = min(g.nodes[n]["depth"], space.depth_of[i])
            g.nodes[n]["highlight"] = g.nodes[n]["highlight"] or i in marked
            continue
        if projection is None:
            g.add_node(
                n,
                fingerprint=space.fingerprint(i),
                depth=space.depth_of[i],
                summary=summary(w),
                world=w.model_dump_json(),
                members=1,
                highlight=i in marked,
            )
        else:
            kept = projection.of(w)
            g.add_node(
                n,
                fingerprint="",
                depth=space.depth_of[i],
                summary="; ".join(f"{k}={json.dumps(v)}" for k, v in kept.items()),
                world=json.dumps(kept),
                members=1,
                highlight=i in marked,
            )
    path_edges = {(node_of[a], node_of[b]) for a, b in pairwise(highlight)}
    for t in space.transitions:
        u, v = node_of[t.source], node_of[t.target]
        if g.has_edge(u, v):
            data = g.edges[u, v]
            data["count"] += 1
            if len(data["_labels"]) < 8:
                data["_labels"].append(edge_label(t))
            if t.action.call not in data["_calls"]:
                data["_calls"].append(t.action.call)
            continue
        if g.number_of_edges() >= max_edges:
            raise ExportTooLarge(
                f"the graph has more than {max_edges:,} edges, above the export cap "
                f"(--max-edges); use --project FIELDS to merge states, or raise the cap"
            )
        g.add_edge(
            u,
            v,
            count=1,
            _labels=[edge_label(t)],
            _calls=[t.action.call],
            highlight=(u, v) in path_edges,
        )
    for _, _, data in g.edges(data=True):
        data["call"] = data["_calls"][0]
        data["calls"] = ",".join(data.pop("_calls"))
        labels = data.pop("_labels")
        more = data["count"] - len(labels)
        data["label"] = "\n".join(labels) + (f"\n(+{more} more)" if more > 0 else "")
    return g


# -- exports ------------------------------------------------------------------------------


def node_link(g: nx.DiGraph) -> dict[str, Any]:
    """The JSON node-link form, with the schema and its version at the top level."""
    data: dict[str, Any] = nx.node_link_data(g, edges="edges")
    return {"schema": SCHEMA, "schema_version": SCHEMA_VERSION, **data}


def to_json(g: nx.DiGraph) -> str:
    return json.dumps(node_link(g), indent=1, sort_keys=False)


def _dot_quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def to_dot(g: nx.DiGraph) -> str:
    """Graphviz DOT, written here rather than through pydot (not a dependency): nodes
    labelled by summary, edges coloured by call and labelled with the calls; the
    highlighted path drawn thick and red."""
    lines = [
        "digraph wsshare {",
        "  graph [rankdir=TB, fontname=Helvetica];",
        "  node [shape=box, style=rounded, fontname=Helvetica, fontsize=9];",
        "  edge [fontname=Helvetica, fontsize=8];",
    ]
    for n, data in g.nodes(data=True):
        label = f"#{n} d{data['depth']}\n{data['summary']}"
        extra = ", color=red, penwidth=3" if data.get("highlight") else ""
        lines.append(f"  n{n} [label={_dot_quote(label)}{extra}];")
    for u, v, data in g.edges(data=True):
        colour = "red" if data.get("highlight") else CALL_COLOURS.get(data["call"], "#7f7f7f")
        width = ", penwidth=3" if data.get("highlight") else ""
        lines.append(
            f"  n{u} -> n{v} [label={_dot_quote(data['label'])}, color={_dot_quote(colour)}"
            f", fontcolor={_dot_quote(colour)}{width}];"
        )
    lines.append("}")
    return "\n".join(lines) + "\n"


def to_graphml(g: nx.DiGraph, path: Path) -> None:
    nx.write_graphml(g, path)


def to_html(g: nx.DiGraph, title: str) -> str:
    """A self-contained page: the graph as JSON in a script element and our viewer
    inlined, so it opens offline, from a file, with no network at all."""
    data = json.dumps(node_link(g), separators=(",", ":"))
    # "</" inside a script element would end it early; JSON allows "\/" for "/".
    data = data.replace("</", "<\\/")
    colours = json.dumps(CALL_COLOURS)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{html.escape(title)}</title>
<style>
{VIEWER_CSS}
</style>
</head>
<body>
<header><h1>{html.escape(title)}</h1>
<span id="stats"></span>
<button id="zoom-in" title="zoom in">+</button>
<button id="zoom-out" title="zoom out">−</button>
<button id="fit" title="fit the graph">fit</button>
<button id="show-path" title="highlight the counterexample path">path</button>
</header>
<main>
<svg id="graph" xmlns="http://www.w3.org/2000/svg"><g id="viewport"></g></svg>
<aside id="panel"><p>Click a state to see its objects; click an edge in the list to
follow it. Drag to pan, wheel to zoom.</p></aside>
</main>
<script type="application/json" id="graph-data">{data}</script>
<script type="application/json" id="call-colours">{colours}</script>
<script>
{VIEWER_JS}
</script>
</body>
</html>
"""


def graphviz(dot_text: str, fmt: str) -> bytes:
    """Render DOT with Graphviz (`dot -Tsvg` or `-Tpng`)."""
    dot = shutil.which("dot")
    if dot is None:
        raise InputError(
            f"--format {fmt} needs Graphviz's `dot` on PATH (apt-get install graphviz); "
            "or export --format dot, graphml, json or html"
        )
    proc = subprocess.run(
        [dot, f"-T{fmt}"], input=dot_text.encode(), capture_output=True, timeout=600
    )
    if proc.returncode != 0:
        raise InputError(f"dot -T{fmt} failed: {proc.stderr.decode(errors='replace').strip()}")
    return proc.stdout


def export(g: nx.DiGraph, fmt: str, path: Path, title: str) -> None:
    """Write `g` to `path` in `fmt` (one of FORMATS)."""
    if fmt == "graphml":
        to_graphml(g, path)
    elif fmt == "dot":
        path.write_text(to_dot(g), encoding="utf-8")
    elif fmt == "json":
        path.write_text(to_json(g) + "\n", encoding="utf-8")
    elif fmt == "html":
        path.write_text(to_html(g, title), encoding="utf-8")
    elif fmt in ("svg", "png"):
        path.write_bytes(graphviz(to_dot(g), fmt))
    else:
        raise InputError(f"unknown graph format {fmt!r}; use one of {', '.join(FORMATS)}")


def format_for(path: str, fmt: str | None) -> str:
    """The format asked for, else the one the file name's suffix names."""
    if fmt:
        return fmt
    suffix = Path(path).suffix.lstrip(".").lower()
    aliases = {"gv": "dot", "htm": "html", "xml": "graphml"}
    suffix = aliases.get(suffix, suffix)
    if suffix not in FORMATS:
        raise InputError(
            f"{path}: cannot tell the format from the suffix; pass --format ({', '.join(FORMATS)})"
        )
    return suffix

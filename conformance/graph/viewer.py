"""The HTML state-graph viewer: plain JavaScript and SVG, inlined into each export.

Written here rather than taken from a library so that an exported page works offline
with nothing fetched, and so that no minified bundle sits in the repository. It is kept
as Python strings (not a .js file beside this one) because the package ships only its
Python modules and configs; this way an installed wsshare can always write the page.

What it does: a layered layout (one row per breadth-first depth, each row ordered by the
mean position of the row above, one pass), pan (drag), zoom (wheel, buttons, fit), a
click on a state shows its objects in the side panel with its outgoing and incoming
edges, a click on an edge there follows it, and the counterexample path (edges and
states marked `highlight`) can be shown. The URL fragment drives it without a mouse, for
links and for the browser test: `#select=N` selects state N, `#click=N` dispatches a
click event on state N's circle (the handler a mouse click runs), `#follow=M` then clicks
the edge-list link to state M, and `#path` shows the path.
"""

VIEWER_CSS = """
* { box-sizing: border-box; }
body { margin: 0; font: 13px/1.4 system-ui, sans-serif; display: flex;
  flex-direction: column; height: 100vh; }
header { display: flex; gap: 8px; align-items: center; padding: 6px 10px;
  border-bottom: 1px solid #ccc; }
header h1 { font-size: 15px; margin: 0 12px 0 0; }
#stats { color: #555; margin-right: auto; }
main { flex: 1; display: flex; min-height: 0; }
#graph { flex: 1; background: #fafafa; cursor: grab; touch-action: none; }
#graph.dragging { cursor: grabbing; }
#panel { width: 420px; overflow: auto; padding: 8px 12px; border-left: 1px solid #ccc; }
.node circle { fill: #fff; stroke: #444; stroke-width: 1.5; cursor: pointer; }
.node text { font-size: 9px; text-anchor: middle; pointer-events: none; }
.node.selected circle { fill: #ffd54f; stroke: #000; stroke-width: 3; }
.node.path circle { stroke: #d00; stroke-width: 3; }
.node.neighbour circle { fill: #e3f2fd; }
.edge { fill: none; stroke-width: 1; opacity: 0.55; }
.edge.path { stroke: #d00 !important; stroke-width: 3; opacity: 1; }
.edge.out { stroke-width: 2.5; opacity: 1; }
table { border-collapse: collapse; margin: 4px 0 10px; }
td, th { border: 1px solid #ddd; padding: 1px 5px; font-size: 12px; }
th { background: #f0f0f0; }
.follow { cursor: pointer; color: #0645ad; text-decoration: underline; }
h2 { font-size: 14px; margin: 6px 0; }
h3 { font-size: 13px; margin: 8px 0 2px; }
"""

VIEWER_JS = r"""
"use strict";
(function () {
  const data = JSON.parse(document.getElementById("graph-data").textContent);
  const colours = JSON.parse(document.getElementById("call-colours").textContent);
  const SVG = "http://www.w3.org/2000/svg";
  const svg = document.getElementById("graph");
  const viewport = document.getElementById("viewport");
  const panel = document.getElementById("panel");
  const nodes = data.nodes;
  const edges = data.edges;
  const byId = new Map();
  nodes.forEach((n) => { n.out = []; n.in = []; byId.set(n.id, n); });
  edges.forEach((e) => { byId.get(e.source).out.push(e); byId.get(e.target).in.push(e); });

  // Layout: one row per depth; each row ordered by the mean x of its predecessors in
  // the rows above (one barycentre pass), which keeps most edges short without a
  // force simulation.
  const GAP_X = 46, GAP_Y = 90;
  const rows = [];
  nodes.forEach((n) => { (rows[n.depth] = rows[n.depth] || []).push(n); });
  let widest = 0;
  rows.forEach((row) => { if (row) widest = Math.max(widest, row.length); });
  rows.forEach((row, depth) => {
    if (!row) return;
    row.forEach((n, i) => {
      const above = n.in.map((e) => byId.get(e.source)).filter((m) => m.depth < depth);
      n.key = above.length ? above.reduce((s, m) => s + m.x, 0) / above.length : i;
    });
    row.sort((a, b) => a.key - b.key || a.id - b.id);
    const offset = ((widest - row.length) * GAP_X) / 2;
    row.forEach((n, i) => { n.x = offset + i * GAP_X; n.y = depth * GAP_Y; });
  });

  function el(name, attrs, parent) {
    const e = document.createElementNS(SVG, name);
    for (const k in attrs) e.setAttribute(k, attrs[k]);
    if (parent) parent.appendChild(e);
    return e;
  }
  const edgeLayer = el("g", { id: "edges" }, viewport);
  const nodeLayer = el("g", { id: "nodes" }, viewport);
  edges.forEach((e, i) => {
    const a = byId.get(e.source), b = byId.get(e.target);
    let d;
    if (a === b) {
      d = `M${a.x - 5},${a.y - 10} C${a.x - 25},${a.y - 45} ${a.x + 25},${a.y - 45} ` +
          `${a.x + 5},${a.y - 10}`;
    } else {
      const mx = (a.x + b.x) / 2 + (b.y === a.y ? 0 : (b.y - a.y) * 0.08);
      const my = (a.y + b.y) / 2 + (b.y === a.y ? 30 : 0);
      d = `M${a.x},${a.y} Q${mx},${my} ${b.x},${b.y}`;
    }
    e.el = el("path", { d: d, class: "edge", stroke: colours[e.call] || "#7f7f7f",
                        "data-index": i }, edgeLayer);
    const t = el("title", {}, e.el);
    t.textContent = e.label;
  });
  nodes.forEach((n) => {
    const g = el("g", { class: "node", transform: `translate(${n.x},${n.y})`,
                        "data-id": n.id }, nodeLayer);
    n.el = g;
    n.circle = el("circle", { r: 11, id: "node-" + n.id }, g);
    const label = el("text", { dy: 3 }, g);
    label.textContent = String(n.id);
    const t = el("title", {}, g);
    t.textContent = `#${n.id} (depth ${n.depth}): ${n.summary}`;
    n.circle.addEventListener("click", (ev) => {
      ev.stopPropagation();
      select(n.id, false);
    });
  });

  // Pan and zoom: one transform on the viewport group.
  let scale = 1, tx = 20, ty = 30;
  function apply() {
    viewport.setAttribute("transform", `translate(${tx},${ty}) scale(${scale})`);
  }
  function zoomAt(factor, cx, cy) {
    const s = Math.min(8, Math.max(0.02, scale * factor));
    tx = cx - ((cx - tx) * s) / scale;
    ty = cy - ((cy - ty) * s) / scale;
    scale = s;
    apply();
  }
  function fit() {
    const box = svg.getBoundingClientRect();
    const w = Math.max(1, widest * GAP_X), h = Math.max(1, rows.length * GAP_Y);
    const fits = Math.min(box.width / (w + 40), box.height / (h + 40));
    scale = Math.min(4, Math.max(0.02, fits));
    tx = 20 * scale + Math.max(0, (box.width - w * scale) / 2);
    ty = 30 * scale;
    apply();
  }
  function centre(n) {
    const box = svg.getBoundingClientRect();
    tx = box.width / 2 - n.x * scale;
    ty = box.height / 2 - n.y * scale;
    apply();
  }
  svg.addEventListener("wheel", (ev) => {
    ev.preventDefault();
    const box = svg.getBoundingClientRect();
    zoomAt(ev.deltaY < 0 ? 1.15 : 1 / 1.15, ev.clientX - box.left, ev.clientY - box.top);
  }, { passive: false });
  let drag = null;
  svg.addEventListener("pointerdown", (ev) => {
    if (ev.target.tagName === "circle") return;
    drag = { x: ev.clientX, y: ev.clientY, tx: tx, ty: ty };
    svg.classList.add("dragging");
  });
  window.addEventListener("pointermove", (ev) => {
    if (!drag) return;
    tx = drag.tx + ev.clientX - drag.x;
    ty = drag.ty + ev.clientY - drag.y;
    apply();
  });
  window.addEventListener("pointerup", () => { drag = null; svg.classList.remove("dragging"); });
  const box0 = () => svg.getBoundingClientRect();
  const zoomMiddle = (f) => zoomAt(f, box0().width / 2, box0().height / 2);
  document.getElementById("zoom-in").onclick = () => zoomMiddle(1.3);
  document.getElementById("zoom-out").onclick = () => zoomMiddle(1 / 1.3);
  document.getElementById("fit").onclick = fit;

  let pathShown = false;
  function showPath(on) {
    pathShown = on;
    nodes.forEach((n) => n.el.classList.toggle("path", on && !!n.highlight));
    edges.forEach((e) => e.el.classList.toggle("path", on && !!e.highlight));
    document.body.setAttribute("data-path", on ? "shown" : "hidden");
  }
  document.getElementById("show-path").onclick = () => showPath(!pathShown);

  function text(tag, content, parent) {
    const e = document.createElement(tag);
    e.textContent = content;
    parent.appendChild(e);
    return e;
  }
  function table(title, items, parent) {
    text("h3", `${title} (${items.length})`, parent);
    if (!items.length) return;
    const t = document.createElement("table");
    const keys = Object.keys(items[0]);
    const head = t.insertRow();
    keys.forEach((k) => text("th", k, head));
    items.forEach((item) => {
      const r = t.insertRow();
      keys.forEach((k) => {
        const v = item[k];
        const shown = typeof v === "object" && v !== null ? JSON.stringify(v) : String(v);
        r.insertCell().textContent = shown;
      });
    });
    parent.appendChild(t);
  }
  function edgeList(title, list, far, parent) {
    text("h3", `${title} (${list.length})`, parent);
    const ul = document.createElement("ul");
    list.forEach((e) => {
      const li = document.createElement("li");
      const a = text("span", `#${e[far]}`, li);
      a.className = "follow";
      a.setAttribute("data-follow", e[far]);
      a.onclick = () => select(e[far], true);
      li.appendChild(document.createTextNode(" " + e.label.split("\n").join("; ") +
        (e.count > 1 ? ` (×${e.count})` : "")));
      ul.appendChild(li);
    });
    parent.appendChild(ul);
  }

  let selected = null;
  function select(id, recentre) {
    const n = byId.get(Number(id));
    if (!n) return;
    if (selected) {
      selected.el.classList.remove("selected");
      selected.out.forEach((e) => {
        e.el.classList.remove("out");
        byId.get(e.target).el.classList.remove("neighbour");
      });
    }
    selected = n;
    n.el.classList.add("selected");
    n.out.forEach((e) => {
      e.el.classList.add("out");
      byId.get(e.target).el.classList.add("neighbour");
    });
    panel.innerHTML = "";
    panel.setAttribute("data-selected", String(n.id));
    text("h2", `State #${n.id}`, panel);
    text("p", `depth ${n.depth}` + (n.fingerprint ? `, fingerprint ${n.fingerprint}` : "") +
      (n.members > 1 ? `, ${n.members} states merged` : ""), panel);
    const world = JSON.parse(n.world);
    for (const k in world) {
      const v = world[k];
      if (Array.isArray(v) && (v.length === 0 || typeof v[0] === "object")) table(k, v, panel);
      else text("p", `${k}: ${JSON.stringify(v)}`, panel);
    }
    edgeList("outgoing", n.out, "target", panel);
    edgeList("incoming", n.in, "source", panel);
    if (recentre) centre(n);
  }

  document.getElementById("stats").textContent =
    `${nodes.length} states, ${edges.length} edges` +
    (data.graph.projection ? `, projected on ${data.graph.projection}` : "") +
    (data.graph.symmetry ? ", symmetry reduced" : "");
  document.body.setAttribute("data-rendered", `${nodes.length} nodes ${edges.length} edges`);
  fit();

  // The fragment drives the view: #select=N, #click=N, #path (joined with &).
  function fromFragment() {
    const params = new URLSearchParams(location.hash.slice(1));
    if (params.has("path")) showPath(true);
    if (params.has("select")) select(params.get("select"), true);
    const click = (target) => target && target.dispatchEvent(
      new MouseEvent("click", { bubbles: true, cancelable: true, view: window }));
    if (params.has("click")) {
      const n = byId.get(Number(params.get("click")));
      if (n) click(n.circle);
    }
    // #follow=N: click the link to state N in the selected state's edge lists.
    if (params.has("follow")) {
      click(panel.querySelector(`[data-follow="${Number(params.get("follow"))}"]`));
    }
  }
  window.addEventListener("hashchange", fromFragment);
  fromFragment();
})();
"""

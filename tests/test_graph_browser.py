"""The HTML state-graph view in a real browser (headless Chromium): the graph renders,
a click on a state shows its objects, and following an edge selects its target.

Chromium is driven with --dump-dom and the view's URL fragment (#click=N dispatches a
click event on state N's circle, the handler a mouse click runs; #follow=M clicks the
edge-list link to state M). In CI (CI=true) a missing Chromium fails the test; locally
it skips and says how to install it.
"""

import os
import re
import shutil
import subprocess

import pytest

from wsshare.conformance.graph import export as graph
from wsshare.conformance.loading import load_config
from wsshare.model import Semantics
from wsshare.model.search import search

INSTALL = (
    "apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y "
    "--no-install-recommends chromium"
)


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI needs headless Chromium for the HTML view test: {INSTALL}")
    pytest.skip(f"headless Chromium is not installed; to run this test: {INSTALL}")


def dump_dom(page, fragment: str, profile) -> str:
    proc = subprocess.run(
        [
            _chromium(),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            f"--user-data-dir={profile}",
            "--virtual-time-budget=5000",
            "--dump-dom",
            f"{page.as_uri()}#{fragment}",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    """The tiny graph with the shortest path to its last state highlighted (as `wsshare
    graph` highlights a counterexample), written as `wsshare graph -o x.html` writes it."""
    space = search(Semantics(load_config("tiny")), keep_edges=True)
    path = space.path_to(space.states - 1)
    nodes = [path[0].source, *(e.target for e in path)]
    g = graph.build_graph(space, highlight=nodes)
    out = tmp_path_factory.mktemp("view") / "tiny.html"
    graph.export(g, "html", out, "tiny")
    return out, g, nodes


def test_the_view_renders_every_state_and_a_click_shows_one(page, tmp_path):
    path, g, _ = page
    target = 5
    dom = dump_dom(path, f"click={target}", tmp_path / "profile")
    rendered = re.search(r'data-rendered="(\d+) nodes (\d+) edges"', dom)
    assert rendered, "the viewer's script did not run"
    assert (int(rendered[1]), int(rendered[2])) == (g.number_of_nodes(), g.number_of_edges())
    assert dom.count('class="node') == g.number_of_nodes()
    assert dom.count('class="edge') == g.number_of_edges()
    panel = re.search(r'<aside id="panel" data-selected="(\d+)">(.*?)</aside>', dom, re.S)
    assert panel, "clicking a state showed nothing"
    assert int(panel[1]) == target
    body = panel[2]
    assert f"State #{target}" in body
    assert g.nodes[target]["fingerprint"] in body
    # its objects: one table row per process, and the edges that leave it
    assert body.count("<h3>processes (2)</h3>") == 1
    assert f"outgoing ({g.out_degree(target)})" in body
    assert re.search(rf'<g class="node selected" transform="[^"]*" data-id="{target}"', dom)


def test_following_an_edge_selects_its_target_and_the_path_can_be_shown(page, tmp_path):
    path, _, nodes = page
    start, nxt = nodes[0], nodes[1]
    dom = dump_dom(path, f"path&click={start}&follow={nxt}", tmp_path / "profile")
    assert re.search(rf'<aside id="panel" data-selected="{nxt}">', dom)
    assert 'data-path="shown"' in dom
    marked = re.findall(r'<g class="node[^"]*\bpath\b[^"]*" transform="[^"]*" data-id="(\d+)"', dom)
    assert {int(m) for m in marked} == set(nodes)
    assert dom.count("edge path") == len(nodes) - 1

"""Graph export (README: "Exploration and the graph"): what the graph holds, projections,
the export cap, each format, and the explore / graph / bench explore commands with their
exit codes."""

import functools
import json
import subprocess

import networkx as nx
import pytest

from wsshare.conformance.graph import export as graph
from wsshare.conformance.loading import InputError, load_config
from wsshare.model import Semantics
from wsshare.model.search import search


@functools.cache
def tiny_space(symmetry=True):
    return search(Semantics(load_config("tiny")), symmetry=symmetry, keep_edges=True)


def test_graph_holds_every_state_and_merges_parallel_transitions():
    space = tiny_space()
    g = graph.build_graph(space)
    assert g.number_of_nodes() == space.states == 298
    assert sum(d["count"] for _, _, d in g.edges(data=True)) == space.edge_count == 2457
    assert len({d["fingerprint"] for _, d in g.nodes(data=True)}) == 298
    world = json.loads(g.nodes[0]["world"])
    assert [p["status"] for p in world["processes"]] == ["running", "running"]


def test_projection_merges_states_that_agree_on_the_kept_fields():
    space = tiny_space()
    proj = graph.Projection.parse("sockets.open,processes.status")
    g = graph.build_graph(space, projection=proj)
    keys = {json.dumps(proj.of(w), sort_keys=True) for w in space.worlds}
    assert g.number_of_nodes() == len(keys) < space.states
    assert sum(d["members"] for _, d in g.nodes(data=True)) == space.states
    assert sum(d["count"] for _, _, d in g.edges(data=True)) == space.edge_count


@pytest.mark.parametrize("text", ["", "nothing", "sockets.colour"])
def test_a_bad_projection_is_bad_input(text):
    with pytest.raises(InputError):
        graph.Projection.parse(text)


def test_export_cap_refuses_and_suggests_a_projection():
    with pytest.raises(graph.ExportTooLarge, match=r"export cap of 100 .*--project"):
        graph.build_graph(tiny_space(), max_nodes=100)


def test_highlighted_path_is_marked_on_nodes_and_edges():
    space = tiny_space()
    path = space.path_to(space.states - 1)
    nodes = [path[0].source, *(e.target for e in path)]
    g = graph.build_graph(space, highlight=nodes)
    assert {n for n, d in g.nodes(data=True) if d["highlight"]} == set(nodes)
    assert sum(d["highlight"] for _, _, d in g.edges(data=True)) == len(path)


def test_json_graphml_and_dot_exports_round_trip(tmp_path):
    g = graph.build_graph(tiny_space())
    graph.export(g, "json", tmp_path / "g.json", "t")
    data = json.loads((tmp_path / "g.json").read_text())
    assert (data["schema"], data["schema_version"]) == (graph.SCHEMA, graph.SCHEMA_VERSION)
    assert len(data["nodes"]) == 298 and len(data["edges"]) == g.number_of_edges()
    graph.export(g, "graphml", tmp_path / "g.graphml", "t")
    back = nx.read_graphml(tmp_path / "g.graphml")
    assert back.number_of_nodes() == 298 and back.number_of_edges() == g.number_of_edges()
    graph.export(g, "dot", tmp_path / "g.dot", "t")
    dot = (tmp_path / "g.dot").read_text()
    assert dot.startswith("digraph wsshare {")
    assert dot.count(" -> ") == g.number_of_edges()
    assert f'color="{graph.CALL_COLOURS["WSADuplicateSocket"]}"' in dot
    assert "WSADuplicateSocket(P1, h1, target_pid=2" in dot


def test_html_view_is_self_contained():
    page = graph.to_html(graph.build_graph(tiny_space()), "tiny </script> title")
    assert "<script src" not in page and "<link" not in page
    stripped = page.replace('xmlns="http://www.w3.org/2000/svg"', "").replace(
        '"http://www.w3.org/2000/svg"', ""
    )
    assert "http://" not in stripped and "https://" not in stripped
    assert page.count("</script>") == 3  # data, colours, viewer: nothing ended early


def test_svg_needs_graphviz_or_says_how_to_get_it(tmp_path):
    import shutil

    g = graph.build_graph(tiny_space())
    if shutil.which("dot") is None:
        with pytest.raises(InputError, match="Graphviz"):
            graph.export(g, "svg", tmp_path / "g.svg", "t")
    else:
        graph.export(g, "svg", tmp_path / "g.svg", "t")
        assert "<svg" in (tmp_path / "g.svg").read_text()


# -- the commands ---------------------------------------------------------------------------


@pytest.fixture
def cli(wsshare_script):
    """Run `wsshare ...` the way a user does."""

    def run(*args, cwd=None, timeout=300):
        cmd = [wsshare_script, *args]
        return subprocess.run(cmd, capture_output=True, text=True, cwd=cwd, timeout=timeout)

    return run


def test_explore_prints_the_figures_and_passes_on_tiny(tmp_path, cli):
    proc = cli("explore", "tiny", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "states 298  edges 2,457  depth 9" in out
    for word in ("seconds", "distinct states/s", "successors/s", "peak memory"):
        assert word in out
    assert "none broken" in out and "release: from every reachable world" in out
    assert "handoff-completes: witnessed" in out
    assert list(tmp_path.iterdir()) == []  # no counterexample, no file


def test_explore_json_without_symmetry_has_the_pinned_counts(cli):
    proc = cli("explore", "tiny", "--no-symmetry", "--json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert (data["states"], data["edges"], data["depth"]) == (594, 4910, 9)
    assert data["release"] == {"checked": True, "ok": True}
    assert all(p["witnessed"] for p in data["properties"].values())


def test_explore_a_mutant_writes_a_trace_that_check_replays(tmp_path, cli):
    proc = cli("explore", "tiny", "--mutant", "info-usable-twice", cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    assert "VIOLATION info-used-at-most-once (R2, R3)" in proc.stdout
    assert "| Step | Source process | IPC | Target process |" in proc.stdout
    trace = tmp_path / "counterexample-tiny-info-used-at-most-once.jsonl"
    assert trace.exists()
    check = cli("check", "--profile", "documented", str(trace))
    assert check.returncode == 1
    assert "violates R2, R3 at event 3" in check.stdout


def test_explore_state_cap_exits_3_with_partial_figures(cli):
    proc = cli("explore", "tiny", "--max-states", "100")
    assert proc.returncode == 3, proc.stderr
    assert "states 100" in proc.stdout
    assert "STOPPED at the state cap of 100 (--max-states)" in proc.stdout
    assert "release: not checked" in proc.stdout


def test_explore_memory_cap_exits_3_and_names_it(cli):
    # The cap is looked at every 256 expanded states, so it needs a larger search.
    proc = cli("explore", "bench", "--max-memory", "1", "--json")
    assert proc.returncode == 3, proc.stderr
    assert "memory cap of 1 MiB" in json.loads(proc.stdout)["cap"]


@pytest.mark.parametrize(
    "args, message",
    [
        (["explore", "tiny", "--profile", "nonesuch"], "unknown profile 'nonesuch'"),
        (["explore", "nonesuch"], "unknown configuration 'nonesuch'"),
        (["explore", "tiny", "--max-states", "0"], "--max-states"),
        (["explore", "BAD"], "processes: Input should be greater than or equal to 1"),
        (["graph", "tiny", "-o", "g.txt"], "cannot tell the format"),
        (["graph", "tiny", "-o", "g.html", "--project", "sockets.colour"], "no field"),
        (["explore", "tiny", "--mutant", "nonesuch"], "unknown mutant"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(tmp_path, args, message, cli):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({**load_config("tiny").model_dump(mode="json"), "processes": 0}))
    args = [str(bad) if a == "BAD" else a for a in args]
    proc = cli(*args, cwd=tmp_path)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], proc.stderr


def test_graph_command_writes_html_and_refuses_above_the_cap(tmp_path, cli):
    proc = cli("graph", "tiny", "-o", str(tmp_path / "g.html"))
    assert proc.returncode == 0, proc.stderr
    assert "298 nodes" in proc.stdout
    proc = cli(
        "graph", "tiny", "--no-symmetry", "-o", str(tmp_path / "h.html"), "--max-nodes", "50"
    )
    assert proc.returncode == 3
    assert "export cap of 50" in proc.stderr and "--project" in proc.stderr
    assert not (tmp_path / "h.html").exists()
    proc = cli(
        "graph",
        "tiny",
        "--no-symmetry",
        "-o",
        str(tmp_path / "p.json"),
        "--max-nodes",
        "50",
        "--project",
        "sockets.open,infos.consumed,processes.status",
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads((tmp_path / "p.json").read_text())["graph"]["projection"]


def test_bench_explore_prints_a_row_per_rung_and_mode(cli):
    proc = cli("bench", "explore", "--rungs", "tiny,3p1s", "--seconds", "60", "--json")
    assert proc.returncode == 0, proc.stderr
    rows = json.loads(proc.stdout)
    assert [(r["rung"], r["symmetry"]) for r in rows] == [
        ("tiny", False),
        ("tiny", True),
        ("3p1s", False),
        ("3p1s", True),
    ]
    assert (rows[0]["states"], rows[1]["states"]) == (594, 298)
    assert all(r["complete"] and r["states_per_second"] > 0 for r in rows)

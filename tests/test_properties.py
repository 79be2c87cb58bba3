"""Reachability properties are witnessed, and the reference is clean in every named
configuration."""

import pytest

from wsshare.conformance.loading import load_config, named_configs
from wsshare.model import DOCUMENTED, PROFILES, Semantics, make_semantics, reference_explore
from wsshare.model.invariants import properties_for


@pytest.fixture(scope="module")
def tiny():
    return reference_explore(Semantics(load_config("tiny")))


# The Linux properties are witnessed under the Linux profiles (tests/test_linux_model.py).
@pytest.mark.parametrize("prop", properties_for(DOCUMENTED), ids=lambda p: p.name)
def test_property_is_witnessed_in_tiny(tiny, prop):
    witnesses = [e for e in tiny.edges if prop.holds(tiny.worlds[e.source], e.action, e.outcome)]
    assert witnesses, f"{prop.name} never holds in tiny"
    path = tiny.path_to(witnesses[0].source)
    assert len(path) <= tiny.depth


def test_tiny_counts_are_pinned(tiny):
    # Any change to the semantics changes these numbers; explain it in the commit.
    # 4,910 edges: 4,838 calls plus 72 peer_sees_close self-loops (one per world where a
    # connected socket was released).
    assert tiny.complete
    assert (len(tiny.worlds), tiny.edge_count, tiny.depth) == (594, 4910, 9)


@pytest.mark.parametrize("name", [n for n in named_configs() if n != "bench"])
def test_reference_breaks_no_invariant(name):
    # The Linux configuration is for the Linux profiles.
    profile = PROFILES["linux-pidfd" if name.startswith("linux") else "documented"]
    result = reference_explore(make_semantics(load_config(name), profile), stop_at_violation=False)
    assert result.complete
    assert result.violations == {}

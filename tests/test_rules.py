"""The rule table: fifty rules, each with a status, and every `implemented_by` entry
naming something that exists."""

import re

from wsshare.model import EDGE_INVARIANTS, PROPERTIES, RULES, WORLD_INVARIANTS, Semantics
from wsshare.model import semantics as semantics_module
from wsshare.model import spi as spi_module
from wsshare.model.profiles import Profile
from wsshare.model.state import World


def test_fifty_rules_in_order():
    assert [r.id for r in RULES] == [f"R{i}" for i in range(1, 51)]


def test_every_rule_has_a_status_and_its_justification():
    for r in RULES:
        assert r.status in {"implemented", "deferred", "out_of_scope"}
        assert r.sources, r.id
        if r.status == "implemented":
            assert r.implemented_by, r.id
        elif r.status == "deferred":
            assert r.issue and r.reason, r.id
        else:
            assert r.reason, r.id


def test_no_rule_is_left_pending():
    # The SPI issue landed: every rule is implemented or out of scope with a reason.
    assert {r.status for r in RULES} <= {"implemented", "out_of_scope"}


def test_implemented_by_names_existing_code():
    invariants = {i.name for i in (*WORLD_INVARIANTS, *EDGE_INVARIANTS)}
    properties = {p.name for p in PROPERTIES}
    knobs = set(Profile.model_fields)
    for r in RULES:
        for item in r.implemented_by:
            if item.startswith("invariant "):
                assert item.split()[1] in invariants, (r.id, item)
            elif item.startswith("property "):
                assert item.split()[1] in properties, (r.id, item)
            elif item.startswith("knob "):
                assert item.split()[1] in knobs, (r.id, item)
            elif item.startswith("Semantics."):
                assert hasattr(Semantics, item.split(".")[1]), (r.id, item)
            elif item.startswith("semantics."):
                assert hasattr(semantics_module, item.split(".")[1]), (r.id, item)
            elif item.startswith("spi."):
                assert hasattr(spi_module, item.split(".")[1]), (r.id, item)
            elif item.startswith("World."):
                assert hasattr(World, item.split(".")[1]), (r.id, item)
            else:
                assert item.startswith("abstraction:"), (r.id, item)


def test_statements_are_single_sentences_in_our_words():
    for r in RULES:
        assert r.statement.endswith("."), r.id
        assert not re.search(r"\"", r.statement), f"{r.id} quotes its source"

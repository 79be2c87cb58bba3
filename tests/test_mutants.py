"""Teeth: every mutant (a deliberately broken implementation) is caught by the checks its
row of the table names, and the same checks pass on the reference model.

This is how each implemented rule and each invariant is shown to fail when broken."""

import functools

import pytest

from wsshare.conformance.fixtures.mutants import MUTANTS, NOT_MUTATED
from wsshare.conformance.fixtures.scenarios import SCENARIOS_BY_ID, run
from wsshare.conformance.loading import load_config
from wsshare.model import (
    DOCUMENTED,
    EDGE_INVARIANTS,
    RULES,
    WORLD_INVARIANTS,
    Semantics,
    reference_explore,
)

# A mutant may make a bounded configuration unbounded (a ghost counter that grows); the
# searches below stop at this many worlds, far above any reference configuration here.
CAP = 20_000


@functools.cache
def reference_violations(config_name: str) -> frozenset[str]:
    result = reference_explore(Semantics(load_config(config_name)), stop_at_violation=False)
    assert result.complete
    return frozenset(result.violations)


def mutant_violations(mutant, config_name: str) -> frozenset[str]:
    sem = mutant.build(load_config(config_name), DOCUMENTED)
    result = reference_explore(sem, spec=DOCUMENTED, stop_at_violation=False, max_states=CAP)
    return frozenset(result.violations)


def _checks():
    for m in MUTANTS:
        for check in m.caught_by:
            yield pytest.param(m, check, id=f"{m.name}-{check}")


@pytest.mark.parametrize("mutant, check", list(_checks()))
def test_mutant_is_caught(mutant, check):
    if check.startswith("explore:"):
        config = check.removeprefix("explore:")
        assert reference_violations(config) == frozenset(), "the reference must be clean"
        found = mutant_violations(mutant, config)
        assert found, f"{mutant.name}: no invariant broken in {config}"
        missing = set(mutant.trips) - found
        assert not missing, f"{mutant.name} should break {sorted(missing)}; broke {sorted(found)}"
    else:
        scenario = SCENARIOS_BY_ID[check]
        assert run(scenario).passed, "the reference must pass the scenario"
        broken = run(scenario, mutant.build(scenario.config(), scenario.profile()))
        assert not broken.passed, f"{mutant.name} passes {check}:\n{broken.explain()}"


def test_every_implemented_rule_has_a_mutant_or_a_reason():
    mutated = {r for m in MUTANTS for r in m.rules}
    for rule in RULES:
        if rule.status == "implemented":
            assert rule.id in mutated or rule.id in NOT_MUTATED, rule.id


def test_every_invariant_is_tripped_by_some_mutant():
    tripped = {name for m in MUTANTS for name in m.trips}
    names = {i.name for i in (*WORLD_INVARIANTS, *EDGE_INVARIANTS)}
    assert names - tripped == set()


def test_mutant_rules_are_real_rule_ids():
    known = {r.id for r in RULES} | {f"D{i}" for i in range(1, 18)}
    for m in MUTANTS:
        assert set(m.rules) <= known, m.name

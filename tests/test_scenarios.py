"""The scenarios of semantics.md section C (C1..C22), the seed's handoff and the extras,
run through the reference model under the documented profile."""

import pytest

from wsshare.conformance.fixtures.scenarios import ALL_SCENARIOS, SCENARIOS, run

SECTION_C = {f"C{i}" for i in range(1, 23)}


def test_every_scenario_of_section_c_is_scripted():
    assert {s.id for s in SCENARIOS} >= SECTION_C


@pytest.mark.parametrize("scenario", ALL_SCENARIOS, ids=lambda s: s.id)
def test_scenario_runs_as_documented(scenario):
    result = run(scenario)
    assert result.passed, result.explain()
    assert len(result.steps) == len(scenario.steps)

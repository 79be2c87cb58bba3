"""Model checking from Python: `explore` (the engine the command line runs) and
`check_model`, whose report asserts like Stateright's `assert_properties`.

    report = check_model(Semantics(load_config("tiny")))
    report.assert_ok()      # every invariant holds in every reachable world, every
                            # reachability property has a witness, nothing leaks

Both are capped by default (DEFAULT_MAX_STATES), so a space that turns out larger than
meant stops and says so instead of running for ever; pass max_states=None for none.
Pure: no clocks, no printing.
"""

from __future__ import annotations

from dataclasses import dataclass

from .actions import describe, describe_result
from .invariants import properties_for
from .profiles import Profile
from .search import StateSpace, Step, counterexample, path_to_world, search, unreleasable, witness
from .semantics import Semantics

# Enough for every named configuration but bench (the largest, tiny under wine-8.0, has
# 1,392 worlds; linux under linux has 25,063); a mistake that makes a space infinite
# stops here.
DEFAULT_MAX_STATES = 1_000_000


def explore(
    semantics: Semantics,
    *,
    symmetry: bool = True,
    spec: Profile | None = None,
    max_states: int | None = DEFAULT_MAX_STATES,
    keep_edges: bool = False,
    stop_at_violation: bool = False,
) -> StateSpace:
    """Every world reachable in `semantics` (one per orbit of interchangeable processes
    with `symmetry`), every invariant checked in every world and on every edge, judged
    under `spec` (the semantics' own profile by default; pass the documented one when the
    semantics is an implementation under test). Stops, incomplete, past `max_states`."""
    return search(
        semantics,
        symmetry=symmetry,
        spec=spec,
        max_states=max_states,
        keep_edges=keep_edges,
        stop_at_violation=stop_at_violation,
    )


@dataclass
class ModelReport:
    """What `check_model` found, and `assert_ok` to fail a test on it."""

    semantics: Semantics
    space: StateSpace
    # The profile the invariants were judged under.
    spec: Profile
    # A world from which no world with every socket released is reachable (a leak), or
    # None; only looked for when the search was complete.
    leak: int | None

    @property
    def complete(self) -> bool:
        return self.space.complete

    @property
    def broken(self) -> list[str]:
        """The invariants some reachable world or edge breaks."""
        return sorted(self.space.problems)

    @property
    def unwitnessed(self) -> list[str]:
        """The reachability properties no reachable world witnesses."""
        return sorted(name for name, edge in self.space.witnesses.items() if edge is None)

    @property
    def ok(self) -> bool:
        return self.complete and not self.broken and not self.unwitnessed and self.leak is None

    def counterexample(self, invariant: str) -> list[Step]:
        """The shortest run that breaks `invariant`, with the model's identities."""
        steps, _ = counterexample(self.semantics, self.space, invariant, self.spec)
        return steps

    def to_text(self) -> str:
        s = self.space
        head = f"{s.states:,} states, {s.edge_count:,} edges, depth {s.depth}"
        lines = [head if s.complete else f"{head}: INCOMPLETE, stopped at the cap ({s.cap})"]
        for name in self.broken:
            problem = s.problems[name].violation
            lines.append(f"invariant {name} ({', '.join(problem.rules)}) broken: {problem.message}")
            lines += [f"  {_step_text(step)}" for step in self.counterexample(name)]
        for name in self.unwitnessed:
            lines.append(f"property {name}: no reachable world witnesses it")
        if self.leak is not None:
            lines.append(
                "release: from this world no world with every socket released is reachable"
            )
            lines += [
                f"  {_step_text(step)}" for step in path_to_world(self.semantics, s, self.leak)
            ]
        if self.ok:
            lines.append("every invariant holds, every property is witnessed, nothing leaks")
        return "\n".join(lines)

    def assert_ok(self) -> None:
        """Raise AssertionError, with the report and the shortest counterexamples, unless
        the search was complete and found nothing wrong."""
        if not self.ok:
            raise AssertionError(self.to_text())

    def witness(self, name: str) -> list[Step] | None:
        """A shortest run to a world witnessing reachability property `name`."""
        return witness(self.semantics, self.space, name)


def _step_text(step: Step) -> str:
    return f"{describe(step.action)} -> {describe_result(step.result)}"


def check_model(
    semantics: Semantics,
    *,
    symmetry: bool = True,
    spec: Profile | None = None,
    max_states: int | None = DEFAULT_MAX_STATES,
) -> ModelReport:
    """Explore `semantics` to the end (or the cap), recording every broken invariant,
    witnessing each reachability property of its platform, and looking for a world from
    which no release is reachable."""
    space = explore(semantics, symmetry=symmetry, spec=spec, max_states=max_states)
    leak = unreleasable(space) if space.complete else None
    assert set(space.witnesses) == {p.name for p in properties_for(semantics.profile)}
    return ModelReport(semantics, space, spec or semantics.profile, leak)


__all__ = ["DEFAULT_MAX_STATES", "ModelReport", "check_model", "explore"]

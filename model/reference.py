"""The reference search: breadth-first over the reachable worlds of one configuration.

This is the readable search, kept as the yardstick of the engine (`wsshare.model.explore`
in model/check.py over model/search.py, which the command line runs and which adds
symmetry, the release check and witnesses; a test checks that both find the same
worlds). It walks the pydantic Worlds of `Semantics`, checks every invariant in every
world and on every edge, and returns the first violation with the shortest path to it.
Pure: no clocks, no printing; callers measure time.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from .actions import Action
from .invariants import EDGE_INVARIANTS, WORLD_INVARIANTS, InvariantViolation
from .profiles import Profile
from .semantics import Outcome, Semantics
from .state import World


@dataclass(frozen=True, slots=True)
class Edge:
    source: int
    target: int
    action: Action
    outcome: Outcome


@dataclass(frozen=True, slots=True)
class Found:
    """A violated invariant and where: the world it was seen in, or the edge that broke
    it (for edge invariants, and for world invariants the edge led into)."""

    violation: InvariantViolation
    world: int
    edge: Edge | None


@dataclass
class Exploration:
    """What a search found: worlds by index (0 is the initial world), edges between
    them, the parent edge of each world on a shortest path, and the violations (the first
    one of each invariant)."""

    worlds: list[World] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)
    edge_count: int = 0
    parent: dict[int, Edge] = field(default_factory=dict)
    violations: dict[str, Found] = field(default_factory=dict)
    complete: bool = True
    depth: int = 0

    @property
    def violation(self) -> InvariantViolation | None:
        """The first violation found, if any."""
        return next(iter(self.violations.values())).violation if self.violations else None

    def path_to(self, index: int) -> list[Edge]:
        """The edges of a shortest path from an initial world to world `index`."""
        path: list[Edge] = []
        while index in self.parent:
            edge = self.parent[index]
            path.append(edge)
            index = edge.source
        return list(reversed(path))

    def counterexample(self, name: str | None = None) -> list[Edge]:
        """The shortest path to the violation of invariant `name` (the first by default),
        ending with the edge that broke it."""
        found = self.violations[name] if name else next(iter(self.violations.values()))
        if found.edge is None:
            return self.path_to(found.world)
        return [*self.path_to(found.edge.source), found.edge]


def reference_explore(
    semantics: Semantics,
    *,
    max_states: int | None = None,
    keep_edges: bool = True,
    stop_at_violation: bool = True,
    on_level: Callable[[int, int], None] | None = None,
    spec: Profile | None = None,
) -> Exploration:
    """Visit every world reachable from the initial worlds, checking the invariants.

    Stops at the first violation when `stop_at_violation`; otherwise records the first
    violation of each invariant and goes on. Stops (marking the result incomplete) once
    `max_states` worlds are known. `on_level(depth, states)` is called after each
    breadth-first level, for progress reports. Edges are kept only with `keep_edges`
    (their count is always kept).

    Invariants are judged under `spec` (by default the semantics' own profile): when the
    semantics is an implementation under test, pass the profile it should conform to.
    """
    spec = spec or semantics.profile
    result = Exploration()
    index: dict[World, int] = {}
    queue: deque[tuple[int, int]] = deque()

    def note(found: InvariantViolation | None, world: int, edge: Edge | None) -> bool:
        """Record a violation; True when the search should stop."""
        if found is not None and found.invariant not in result.violations:
            result.violations[found.invariant] = Found(found, world, edge)
        return found is not None and stop_at_violation

    for w in semantics.initial_worlds():
        if w not in index:
            index[w] = len(result.worlds)
            result.worlds.append(w)
            queue.append((index[w], 0))
            for v in _world_violations(w, spec):
                if note(v, index[w], None):
                    return result
    level = 0
    while queue:
        source, depth = queue.popleft()
        if depth > level:
            level = depth
            if on_level is not None:
                on_level(level, len(result.worlds))
        world = result.worlds[source]
        for action, outcome in semantics.successors(world):
            target = index.get(outcome.world)
            is_new = target is None
            if target is None:
                if max_states is not None and len(result.worlds) >= max_states:
                    result.complete = False
                    return result
                target = len(result.worlds)
                index[outcome.world] = target
                result.worlds.append(outcome.world)
                queue.append((target, depth + 1))
                result.depth = max(result.depth, depth + 1)
            edge = Edge(source, target, action, outcome)
            result.edge_count += 1
            if keep_edges:
                result.edges.append(edge)
            if is_new:
                result.parent[target] = edge
            for v in _edge_violations(world, action, outcome, spec):
                if note(v, target, edge):
                    return result
            if is_new:
                for v in _world_violations(outcome.world, spec):
                    if note(v, target, None):
                        return result
    return result


def _world_violations(world: World, spec: Profile) -> Iterator[InvariantViolation]:
    for inv in WORLD_INVARIANTS:
        v = inv.check(world, spec)
        if v is not None:
            yield v


def _edge_violations(
    before: World, action: Action, outcome: Outcome, spec: Profile
) -> Iterator[InvariantViolation]:
    for inv in EDGE_INVARIANTS:
        v = inv.check_edge(before, action, outcome, spec)
        if v is not None:
            yield v

"""Reachable-state search with symmetry reduction, the release check, property witnesses
and concrete counterexamples (design.md: "Exploration and the graph").

`search(semantics, ...)` walks the worlds reachable from `initial_worlds()` breadth
first, like `explore.explore`, and adds:

- symmetry reduction over interchangeable processes (on by default): one world is kept
  per orbit under pid renaming, keyed by `symmetry.canonical_key`. The kept world is the
  first member of its orbit the search met, not a rebuilt representative, so every kept
  world is a real world of the semantics. Sound because the step relation treats every
  pid alike (nothing in `Semantics` consults the order of pids) and every invariant and
  property is stated without naming a pid;
- every world invariant checked in every kept world, every edge invariant on every edge
  (under symmetry: on every (action, outcome) of every kept world, which by symmetry
  stands for the same edge of every member of its orbit);
- a witness for each reachability property (`invariants.PROPERTIES`), or none;
- the release check (design.md, "Exploration and the graph"): from every reachable world
  a world where every underlying socket is released must be reachable; a world from
  which none is, is reported (R33, R34, R40: a leak such as an info that pins a socket
  forever);
- paths replayed with concrete identities: under symmetry the path of kept worlds is not
  a run (consecutive kept worlds may be named differently), so `concrete_path` replays it
  from the initial world, at each step taking the action whose successor canonicalises
  to the next kept world. The replay uses the semantics itself, so the result is a run
  of the model step by step, whichever engine found it.

What an edge count means: without symmetry, one edge per (world, action, outcome), as in
`explore.explore`. With symmetry, one edge per (kept world, action, outcome): the edges
leaving one member of each orbit, each pointing at the orbit of its successor (so several
edges may join the same two orbits, and self-loops count).

Pure: no clocks, no printing. Callers that want progress reports or time and memory caps
pass `on_progress`, which may ask the search to stop.
"""

from __future__ import annotations

from array import array
from collections import deque
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field

from .actions import Action, Err, Ok, Pending
from .invariants import (
    EDGE_INVARIANTS,
    PROPERTIES,
    WORLD_INVARIANTS,
    InvariantViolation,
    properties_for,
)
from .profiles import Profile
from .semantics import Outcome, Semantics
from .state import World
from .symmetry import Key, canonical_key, fingerprint, identity_form

# How often (in expanded worlds) on_progress is called.
PROGRESS_EVERY = 256


@dataclass(frozen=True, slots=True)
class Transition:
    """An edge of the searched graph: kept world `source` to kept world `target` by
    `action`, with the result and the concrete world the action produced (under symmetry
    a member of the target's orbit, not necessarily the kept one)."""

    source: int
    target: int
    action: Action
    outcome: Outcome


@dataclass(frozen=True, slots=True)
class Problem:
    """A broken invariant: where it was seen (a kept world), and the edge that broke it
    (edge invariants; None for a world invariant)."""

    violation: InvariantViolation
    world: int
    edge: Transition | None


@dataclass(frozen=True, slots=True)
class Step:
    """One step of a concrete run: the world before, the action, its result and the
    world after, with the model's own identities (pids, handle slots, info ids)."""

    before: World
    action: Action
    result: Ok | Err | Pending
    after: World


@dataclass
class StateSpace:
    """What a search found. Kept worlds by index (0 is the first initial world); the
    parent edge of each on a shortest path; edge endpoints (always: the release check
    needs them, at 8 bytes an edge) and the full transitions when `keep_edges`."""

    symmetry: bool
    worlds: list[World] = field(default_factory=list)
    keys: list[Hashable] = field(default_factory=list)
    depth_of: array[int] = field(default_factory=lambda: array("i"))
    parent: dict[int, Transition] = field(default_factory=dict)
    sources: array[int] = field(default_factory=lambda: array("i"))
    targets: array[int] = field(default_factory=lambda: array("i"))
    transitions: list[Transition] = field(default_factory=list)
    edge_count: int = 0
    depth: int = 0
    terminal: int = 0
    complete: bool = True
    # Which cap stopped the search ("max_states", or what on_progress named), if any.
    cap: str | None = None
    # The search stopped at the first broken invariant (stop_at_violation).
    stopped_at_violation: bool = False
    problems: dict[str, Problem] = field(default_factory=dict)
    witnesses: dict[str, Transition | None] = field(default_factory=dict)

    @property
    def states(self) -> int:
        return len(self.worlds)

    def path_to(self, index: int) -> list[Transition]:
        """The edges of a shortest path (of kept worlds) from an initial world."""
        path: list[Transition] = []
        while index in self.parent:
            edge = self.parent[index]
            path.append(edge)
            index = edge.source
        return list(reversed(path))

    def fingerprint(self, index: int) -> str:
        """The stable digest of kept world `index`: of its canonical form under symmetry,
        of its plain tuple form without."""
        key = self.keys[index]
        form = key if self.symmetry else identity_form(self.worlds[index])
        assert isinstance(form, tuple)
        return fingerprint(form)


def search(
    semantics: Semantics,
    *,
    symmetry: bool = True,
    spec: Profile | None = None,
    max_states: int | None = None,
    keep_edges: bool = False,
    stop_at_violation: bool = True,
    on_progress: Callable[[int, int, int], str | None] | None = None,
    progress_every: int = PROGRESS_EVERY,
) -> StateSpace:
    """Search every world reachable in `semantics`, checking every invariant.

    - `symmetry`: keep one world per orbit under pid renaming (see the module doc);
    - `spec`: the profile the invariants are judged under (by default the semantics'
      own; pass the documented one when the semantics is an implementation under test);
    - `max_states`: stop, incomplete with cap "max_states", once this many worlds are
      kept and another would be added;
    - `keep_edges`: keep every transition (for graph export), not just its endpoints;
    - `stop_at_violation`: stop at the first broken invariant (breadth first, so on a
      shortest path); otherwise record the first break of each invariant and go on;
    - `on_progress(states, edges, depth)`: called every `progress_every` expansions and
      at the end; a non-None return names a cap and stops the search, incomplete.
    """
    spec = spec or semantics.profile
    space = StateSpace(symmetry=symmetry)
    space.witnesses = {p.name: None for p in properties_for(semantics.profile)}
    pending_properties = list(properties_for(semantics.profile))
    index: dict[Hashable, int] = {}
    queue: deque[int] = deque()

    def key_of(world: World) -> Hashable:
        return canonical_key(world) if symmetry else world

    def keep(world: World, key: Hashable, depth: int) -> int:
        i = len(space.worlds)
        index[key] = i
        space.worlds.append(world)
        space.keys.append(key)
        space.depth_of.append(depth)
        space.depth = max(space.depth, depth)
        queue.append(i)
        return i

    def note(violation: InvariantViolation, world: int, edge: Transition | None) -> bool:
        """Record a break; True when the search should stop."""
        if violation.invariant not in space.problems:
            space.problems[violation.invariant] = Problem(violation, world, edge)
        if stop_at_violation:
            space.complete, space.stopped_at_violation = False, True
        return stop_at_violation

    def world_breaks(world: World) -> Iterable[InvariantViolation]:
        for inv in WORLD_INVARIANTS:
            v = inv.check(world, spec)
            if v is not None:
                yield v

    for w in semantics.initial_worlds():
        k = key_of(w)
        if k in index:
            continue
        i = keep(w, k, 0)
        for v in world_breaks(w):
            if note(v, i, None):
                return _finish(space, on_progress)
    expanded = 0
    while queue:
        source = queue.popleft()
        world = space.worlds[source]
        depth = space.depth_of[source] + 1
        out = 0
        for action, outcome in semantics.successors(world):
            out += 1
            k = key_of(outcome.world)
            target = index.get(k)
            is_new = target is None
            if target is None:
                if max_states is not None and len(space.worlds) >= max_states:
                    space.complete, space.cap = False, "max_states"
                    return _finish(space, on_progress)
                target = keep(outcome.world, k, depth)
            edge = Transition(source, target, action, outcome)
            space.edge_count += 1
            space.sources.append(source)
            space.targets.append(target)
            if keep_edges:
                space.transitions.append(edge)
            if is_new:
                space.parent[target] = edge
            for inv in EDGE_INVARIANTS:
                broken = inv.check_edge(world, action, outcome, spec)
                if broken is not None and note(broken, target, edge):
                    return _finish(space, on_progress)
            if pending_properties:
                for prop in list(pending_properties):
                    if prop.holds(world, action, outcome):
                        space.witnesses[prop.name] = edge
                        pending_properties.remove(prop)
            if is_new:
                for v in world_breaks(outcome.world):
                    if note(v, target, None):
                        return _finish(space, on_progress)
        if out == 0:
            space.terminal += 1
        expanded += 1
        if on_progress is not None and expanded % progress_every == 0:
            cap = on_progress(len(space.worlds), space.edge_count, space.depth)
            if cap is not None:
                space.complete, space.cap = False, cap
                return space
    return _finish(space, on_progress)


def _finish(
    space: StateSpace, on_progress: Callable[[int, int, int], str | None] | None
) -> StateSpace:
    if on_progress is not None:
        on_progress(len(space.worlds), space.edge_count, space.depth)
    return space


# -- the release check -------------------------------------------------------------------


def all_released(world: World) -> bool:
    """Every underlying socket ever created is released (none open). A world that never
    created one counts: nothing is held there either."""
    return not any(s.open for s in world.sockets)


def unreleasable(space: StateSpace) -> int | None:
    """The first kept world (in breadth-first order, so on a shortest path) from which no
    world with every socket released is reachable, or None when there is none.

    Backward breadth-first search from the released worlds over the edges found. Only
    meaningful for a complete search: a cut-off search has worlds whose successors were
    never looked at. Under symmetry the check on orbits is exact, since "every socket is
    released" names no pid."""
    n = len(space.worlds)
    # Edges by target, in compressed rows: 4 bytes per edge instead of a list per world.
    starts = array("i", bytes(4 * (n + 1)))
    for t in space.targets:
        starts[t + 1] += 1
    for i in range(n):
        starts[i + 1] += starts[i]
    fill = array("i", starts[:-1])
    preds = array("i", bytes(4 * len(space.targets)))
    for s, t in zip(space.sources, space.targets, strict=True):
        preds[fill[t]] = s
        fill[t] += 1
    good = bytearray(n)
    todo = deque(i for i in range(n) if all_released(space.worlds[i]))
    for i in todo:
        good[i] = 1
    while todo:
        t = todo.popleft()
        for j in range(starts[t], starts[t + 1]):
            s = preds[j]
            if not good[s]:
                good[s] = 1
                todo.append(s)
    return next((i for i in range(n) if not good[i]), None)


# -- concrete replay ---------------------------------------------------------------------


class ReplayError(AssertionError):
    """A path of kept worlds that the semantics cannot replay: the search and the
    semantics disagree, which is a bug in the search, never in the model."""


def concrete_path(
    semantics: Semantics,
    space: StateSpace,
    path: list[Transition],
    last: Callable[[World, Action, Outcome], bool] | None = None,
) -> list[Step]:
    """Replay a path of kept worlds as a run of `semantics` with concrete identities.

    From the initial world whose key is the path's start, at each step take the first
    action (in the semantics' own order) whose outcome canonicalises to the next kept
    world; for the final step, when `last` is given, the first that also satisfies it
    (the edge that breaks an edge invariant, or witnesses a property). Without symmetry
    the recorded transitions are already concrete and are returned as they are."""
    if not space.symmetry:
        return [
            Step(space.worlds[e.source], e.action, e.outcome.result, e.outcome.world) for e in path
        ]
    start = path[0].source if path else None
    key_of: Callable[[World], Key] = canonical_key
    current: World | None = None
    want = space.keys[start if start is not None else 0]
    for w in semantics.initial_worlds():
        if key_of(w) == want:
            current = w
            break
    if current is None:
        raise ReplayError("no initial world has the path's first key")
    steps: list[Step] = []
    for n, edge in enumerate(path):
        want = space.keys[edge.target]
        final = n == len(path) - 1
        chosen: tuple[Action, Outcome] | None = None
        for action, outcome in semantics.successors(current):
            if key_of(outcome.world) != want:
                continue
            if final and last is not None and not last(current, action, outcome):
                continue
            chosen = (action, outcome)
            break
        if chosen is None:
            raise ReplayError(f"step {n + 1}: no action leads to the next world of the path")
        action, outcome = chosen
        steps.append(Step(current, action, outcome.result, outcome.world))
        current = outcome.world
    return steps


def path_to_world(semantics: Semantics, space: StateSpace, index: int) -> list[Step]:
    """A concrete shortest run to kept world `index` (to a member of its orbit)."""
    return concrete_path(semantics, space, space.path_to(index))


def counterexample(
    semantics: Semantics, space: StateSpace, invariant: str, spec: Profile | None = None
) -> tuple[list[Step], InvariantViolation]:
    """A concrete shortest run that breaks `invariant`, and the break as the concrete
    final world (or edge) shows it, with concrete pids in its message."""
    spec = spec or semantics.profile
    problem = space.problems[invariant]
    if problem.edge is None:
        steps = path_to_world(semantics, space, problem.world)
        final = steps[-1].after if steps else _initial(semantics, space, problem.world)
        inv = next(i for i in WORLD_INVARIANTS if i.name == invariant)
        found = inv.check(final, spec)
        if found is None:
            raise ReplayError(f"the replayed world does not break {invariant}")
        return steps, found
    edge_inv = next(i for i in EDGE_INVARIANTS if i.name == invariant)
    path = [*space.path_to(problem.edge.source), problem.edge]

    def breaks(before: World, action: Action, outcome: Outcome) -> bool:
        return edge_inv.check_edge(before, action, outcome, spec) is not None

    steps = concrete_path(semantics, space, path, breaks)
    last = steps[-1]
    found = edge_inv.check_edge(
        last.before, last.action, Outcome(last.result, last.after, ()), spec
    )
    if found is None:
        raise ReplayError(f"the replayed edge does not break {invariant}")
    return steps, found


def witness(semantics: Semantics, space: StateSpace, name: str) -> list[Step] | None:
    """A concrete shortest-found run whose last step witnesses property `name`."""
    edge = space.witnesses.get(name)
    if edge is None:
        return None
    prop = next(p for p in PROPERTIES if p.name == name)
    return concrete_path(semantics, space, [*space.path_to(edge.source), edge], prop.holds)


def _initial(semantics: Semantics, space: StateSpace, index: int) -> World:
    want = space.keys[index]
    for w in semantics.initial_worlds():
        if (canonical_key(w) if space.symmetry else w) == want:
            return w
    raise ReplayError("no initial world has that key")

"""`wsshare explore`, `wsshare graph` and `wsshare bench explore` (README: "Exploration
and the graph").

commands.py wires these in: `register(subparsers)` adds `explore` and `graph`;
`add_bench_explore(bench_subparsers)` adds `bench explore`. Every command returns its exit
status: 0 ok, 1 an invariant (or the release check) failed, 2 bad input (raised as
InputError, which cli.main prints as one line), 3 a cap was hit (partial statistics are
printed first, with the cap named).

The search itself is pure (wsshare.model.search); this module measures time and memory,
draws the progress bar, writes counterexample traces and prints.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wsshare.model import Config, Profile, Semantics, make_semantics
from wsshare.model.invariants import (
    EDGE_INVARIANTS,
    WORLD_INVARIANTS,
    properties_for,
)
from wsshare.model.search import (
    StateSpace,
    Step,
    counterexample,
    path_to_world,
    search,
    unreleasable,
    witness,
)

from ..loading import InputError, load_config, load_profile

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT, EXIT_CAP = 0, 1, 2, 3

# Default caps: a search keeps every world it found, so an unbounded one can use all the
# memory of the machine. Both can be raised on the command line.
DEFAULT_MAX_STATES = 5_000_000
DEFAULT_MAX_MEMORY_MIB = 8_192
# Without a cap on the graph command the search keeps every transition; networkx then
# costs hundreds of bytes per edge, so graphs come from smaller searches.
DEFAULT_GRAPH_MAX_STATES = 200_000


def peak_memory_mib() -> float:
    """Peak resident memory of this process (Linux reports ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# -- building the semantics ----------------------------------------------------------------


def granularities() -> tuple[str, ...]:
    """The granularities the model offers: `api`, and `spi` once the configuration has a
    `granularity` bound (the SPI issue adds it)."""
    if "granularity" in Config.model_fields:
        return ("api", "spi")
    return ("api",)


def with_granularity(config: Config, granularity: str | None) -> Config:
    """`config` at `granularity` (None: the configuration's own)."""
    if granularity is None:
        return config
    if granularity not in granularities():
        raise InputError(
            f"--granularity {granularity}: this model offers {', '.join(granularities())}"
        )
    if "granularity" not in Config.model_fields:
        return config
    return Config.model_validate({**config.model_dump(), "granularity": granularity})


def granularity_of(config: Config) -> str:
    return str(getattr(config, "granularity", "api"))


def build_semantics(config: Config, profile: Profile, mutant: str | None) -> Semantics:
    if mutant is not None:
        from ..fixtures.mutants import MUTANTS

        found = next((m for m in MUTANTS if m.name == mutant), None)
        if found is None:
            known = ", ".join(m.name for m in MUTANTS)
            raise InputError(f"--mutant: unknown mutant {mutant!r}; known: {known}")
        return found.build(config, profile)
    return make_semantics(config, profile)


# -- running a search with caps and progress ---------------------------------------------


@dataclass
class Run:
    """A finished (or capped) search with its measurements."""

    config_name: str
    config: Config
    profile: Profile
    granularity: str
    semantics: Semantics
    space: StateSpace
    seconds: float
    peak_mib: float
    mutant: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def states_per_second(self) -> float:
        return self.space.states / max(self.seconds, 1e-9)

    @property
    def successors_per_second(self) -> float:
        return self.space.edge_count / max(self.seconds, 1e-9)


class _Progress:
    """A one-line progress bar on stderr, only on a terminal and only after a second,
    so short runs and pipes stay quiet. It also enforces the memory and time caps."""

    def __init__(self, max_mib: float | None, max_seconds: float | None, show: bool) -> None:
        self.start = time.perf_counter()
        self.max_mib = max_mib
        self.max_seconds = max_seconds
        self.show = show and sys.stderr.isatty()
        self.drawn = False

    def __call__(self, states: int, edges: int, depth: int) -> str | None:
        elapsed = time.perf_counter() - self.start
        if self.show and elapsed > 1.0:
            rate = states / max(elapsed, 1e-9)
            sys.stderr.write(
                f"\r  {states:>12,} states {edges:>14,} edges  depth {depth:>3}"
                f"  {elapsed:7.1f} s  {rate:>9,.0f} states/s  {peak_memory_mib():8.0f} MiB "
            )
            sys.stderr.flush()
            self.drawn = True
        if self.max_mib is not None and peak_memory_mib() > self.max_mib:
            return f"memory cap of {self.max_mib:,.0f} MiB (--max-memory)"
        if self.max_seconds is not None and elapsed > self.max_seconds:
            return f"time cap of {self.max_seconds:,.0f} s (--max-seconds)"
        return None

    def clear(self) -> None:
        if self.drawn:
            sys.stderr.write("\r" + " " * 100 + "\r")
            sys.stderr.flush()


def run_search(
    config_name: str,
    *,
    profile_name: str = "documented",
    granularity: str | None = None,
    symmetry: bool = True,
    max_states: int | None = DEFAULT_MAX_STATES,
    max_memory_mib: float | None = DEFAULT_MAX_MEMORY_MIB,
    max_seconds: float | None = None,
    keep_edges: bool = False,
    stop_at_violation: bool = True,
    mutant: str | None = None,
    progress: bool = True,
) -> Run:
    config = with_granularity(load_config(config_name), granularity)
    profile = load_profile(profile_name)
    for name, value in (("--max-states", max_states), ("--max-memory", max_memory_mib)):
        if value is not None and value <= 0:
            raise InputError(f"{name}: expected a positive number, got {value}")
    semantics = build_semantics(config, profile, mutant)
    bar = _Progress(max_memory_mib, max_seconds, progress)
    start = time.perf_counter()
    try:
        space = search(
            semantics,
            symmetry=symmetry,
            spec=profile,
            max_states=max_states,
            keep_edges=keep_edges,
            stop_at_violation=stop_at_violation,
            on_progress=bar,
        )
    finally:
        bar.clear()
    seconds = time.perf_counter() - start
    if space.cap == "max_states":
        space.cap = f"state cap of {max_states:,} (--max-states)"
    return Run(
        config_name,
        config,
        profile,
        granularity_of(config),
        semantics,
        space,
        seconds,
        peak_memory_mib(),
        mutant,
    )


# -- reports -------------------------------------------------------------------------------


def _pids_of(steps: list[Step]) -> tuple[int, int]:
    """Source and target pid for the seed table: the first duplication's, else 1 and 2."""
    for s in steps:
        if s.action.call == "WSADuplicateSocket":
            target = getattr(s.action, "target_pid", 2)
            return getattr(s.action, "pid", 1), target
    return 1, 2


def seed_table(steps: list[Step]) -> str:
    from ..reports.seedtable import TableEntry, build_rows, markdown

    entries = [TableEntry(getattr(s.action, "pid", None), s.action, s.result) for s in steps]
    source, target = _pids_of(steps)
    return markdown(build_rows(entries, source_pid=source, target_pid=target))


def write_steps(path: Path, steps: list[Step], note: str) -> None:
    from ..fixtures.corpus import TraceStep, write_trace

    write_trace(
        path,
        [TraceStep(s.action, s.result, s.before, s.after) for s in steps],
        note=note,
    )


@dataclass
class Report:
    """Everything `explore` says, as data; printed as text or JSON."""

    data: dict[str, Any]
    tables: list[tuple[str, str]]
    code: int


def analyse(run: Run, trace_out: str | None) -> Report:
    """Violations with concrete counterexamples (and their traces), the release check,
    and property witnesses, with the exit status they imply."""
    space = run.space
    data: dict[str, Any] = {
        "configuration": run.config_name,
        "profile": run.profile.name,
        "granularity": run.granularity,
        "symmetry": space.symmetry,
        "mutant": run.mutant,
        "states": space.states,
        "edges": space.edge_count,
        "depth": space.depth,
        "terminal_states": space.terminal,
        "seconds": round(run.seconds, 3),
        "states_per_second": round(run.states_per_second, 1),
        "successors_per_second": round(run.successors_per_second, 1),
        "peak_memory_mib": round(run.peak_mib, 1),
        "complete": space.complete,
        "cap": space.cap,
        "invariants_checked": len(WORLD_INVARIANTS) + len(EDGE_INVARIANTS),
    }
    tables: list[tuple[str, str]] = []
    violations = []
    for name in space.problems:
        steps, found = counterexample(run.semantics, space, name, run.profile)
        entry: dict[str, Any] = {
            "invariant": name,
            "rules": list(found.rules),
            "message": found.message,
            "steps": len(steps),
        }
        if steps and trace_out is not None:
            path = Path(trace_out.format(config=run.config_name, invariant=name))
            path.parent.mkdir(parents=True, exist_ok=True)
            write_steps(path, steps, f" (explore {run.config_name}: {name})")
            entry["trace"] = str(path)
        entry["path"] = [_step_json(s) for s in steps]
        violations.append(entry)
        tables.append((f"counterexample: {name} ({', '.join(found.rules)})", seed_table(steps)))
    data["violations"] = violations
    release: dict[str, Any] = {"checked": space.complete}
    if space.complete:
        stuck = unreleasable(space)
        release["ok"] = stuck is None
        if stuck is not None:
            steps = path_to_world(run.semantics, space, stuck)
            release["world"] = space.worlds[stuck].model_dump(mode="json")
            release["fingerprint"] = space.fingerprint(stuck)
            release["path"] = [_step_json(s) for s in steps]
            if trace_out is not None and steps:
                path = Path(trace_out.format(config=run.config_name, invariant="release"))
                write_steps(path, steps, f" (explore {run.config_name}: release)")
                release["trace"] = str(path)
            tables.append(("a world from which no release is reachable", seed_table(steps)))
    data["release"] = release
    props: dict[str, Any] = {}
    for prop in properties_for(run.semantics.profile):
        steps_or_none = witness(run.semantics, space, prop.name)
        if steps_or_none is None:
            props[prop.name] = {"witnessed": False, "decided": space.complete}
        else:
            props[prop.name] = {
                "witnessed": True,
                "steps": len(steps_or_none),
                "path": [_step_json(s) for s in steps_or_none],
            }
    data["properties"] = props
    if violations or release.get("ok") is False:
        code = EXIT_FAILED
    elif space.cap is not None:
        code = EXIT_CAP
    else:
        code = EXIT_OK
    data["exit_code"] = code
    return Report(data, tables, code)


def _step_json(s: Step) -> dict[str, Any]:
    return {
        "action": s.action.model_dump(mode="json"),
        "result": s.result.model_dump(mode="json"),
    }


def _print_report(report: Report) -> None:
    d = report.data
    what = f"configuration {d['configuration']}, profile {d['profile']}"
    what += f", granularity {d['granularity']}, symmetry {'on' if d['symmetry'] else 'off'}"
    if d["mutant"]:
        what += f", mutant {d['mutant']}"
    print(what)
    print(
        f"states {d['states']:,}  edges {d['edges']:,}  depth {d['depth']}"
        f"  terminal {d['terminal_states']:,}"
    )
    print(
        f"seconds {d['seconds']:.2f}  distinct states/s {d['states_per_second']:,.0f}"
        f"  successors/s {d['successors_per_second']:,.0f}"
        f"  peak memory {d['peak_memory_mib']:,.1f} MiB"
    )
    if d["cap"]:
        print(f"STOPPED at the {d['cap']}: the figures above are partial")
    if d["violations"]:
        for v in d["violations"]:
            print(f"VIOLATION {v['invariant']} ({', '.join(v['rules'])}): {v['message']}")
            print(f"  shortest counterexample: {v['steps']} step(s)")
            if "trace" in v:
                print(
                    f"  trace: {v['trace']} (replay: wsshare check --profile "
                    f"{d['profile']} {v['trace']})"
                )
    else:
        scope = "every state searched" if not d["complete"] else "every reachable state"
        print(f"invariants: {d['invariants_checked']} checked in {scope}: none broken")
    r = d["release"]
    if not r["checked"]:
        print("release: not checked (the search did not finish)")
    elif r["ok"]:
        print("release: from every reachable world, one with every socket released is reachable")
    else:
        print(
            f"RELEASE FAILS: from world {r['fingerprint']} no world with every socket "
            f"released is reachable"
        )
        if "trace" in r:
            print(f"  trace: {r['trace']}")
    print("properties:")
    for name, p in d["properties"].items():
        if p["witnessed"]:
            print(f"  {name}: witnessed in {p['steps']} step(s)")
        elif p["decided"]:
            print(f"  {name}: not reached")
        else:
            print(f"  {name}: not reached in the part searched")
    for title, table in report.tables:
        print(f"\n{title}:\n{table}")


# -- explore ------------------------------------------------------------------------------


def cmd_explore(args: argparse.Namespace) -> int:
    run = run_search(
        args.config,
        profile_name=args.profile,
        granularity=args.granularity,
        symmetry=not args.no_symmetry,
        max_states=args.max_states,
        max_memory_mib=args.max_memory,
        max_seconds=args.max_seconds,
        stop_at_violation=not args.all_violations,
        mutant=args.mutant,
        progress=not args.json,
    )
    trace_out = None if args.no_trace else args.trace_out
    report = analyse(run, trace_out)
    if args.json:
        json.dump(report.data, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        _print_report(report)
    return report.code


# -- graph ----------------------------------------------------------------------------------


def cmd_graph(args: argparse.Namespace) -> int:
    from ..graph import export as graph

    fmt = graph.format_for(args.output, args.format)
    projection = graph.Projection.parse(args.project) if args.project else None
    run = run_search(
        args.config,
        profile_name=args.profile,
        granularity=args.granularity,
        symmetry=not args.no_symmetry,
        max_states=args.max_states,
        max_memory_mib=args.max_memory,
        keep_edges=True,
        stop_at_violation=False,
        mutant=args.mutant,
        progress=True,
    )
    space = run.space
    if space.cap is not None:
        print(
            f"wsshare: the search stopped at the {space.cap} after {space.states:,} states; "
            "no graph written",
            file=sys.stderr,
        )
        return EXIT_CAP
    highlight: list[int] = []
    if args.witness:
        edge = space.witnesses.get(args.witness)
        if args.witness not in space.witnesses:
            known = ", ".join(space.witnesses)
            raise InputError(f"--witness: unknown property {args.witness!r}; known: {known}")
        if edge is not None:
            path = [*space.path_to(edge.source), edge]
            highlight = [path[0].source, *(e.target for e in path)]
    elif space.problems:
        problem = next(iter(space.problems.values()))
        path = space.path_to(problem.world)
        highlight = [path[0].source, *(e.target for e in path)] if path else [problem.world]
    meta = {
        "configuration": run.config_name,
        "profile": run.profile.name,
        "granularity": run.granularity,
    }
    try:
        g = graph.build_graph(
            space,
            projection=projection,
            highlight=highlight,
            meta=meta,
            max_nodes=args.max_nodes,
            max_edges=args.max_edges,
        )
    except graph.ExportTooLarge as e:
        print(f"wsshare: {e}", file=sys.stderr)
        return EXIT_CAP
    title = f"wsshare: {run.config_name} under {run.profile.name}"
    graph.export(g, fmt, Path(args.output), title)
    print(
        f"wrote {args.output} ({fmt}): {g.number_of_nodes():,} nodes, "
        f"{g.number_of_edges():,} edges from {space.states:,} states and "
        f"{space.edge_count:,} transitions"
    )
    return EXIT_FAILED if space.problems else EXIT_OK


# -- bench explore ------------------------------------------------------------------------


@dataclass(frozen=True)
class Rung:
    """One configuration of the exploration benchmark ladder."""

    name: str
    base: str
    changes: dict[str, Any]
    description: str

    def config(self) -> Config:
        return load_config(self.base).model_copy(update=self.changes)


# Smallest first. "3p1s" is the comparison with Spin: three processes, one socket.
LADDER: tuple[Rung, ...] = (
    Rung("tiny", "tiny", {}, "the pinned configuration: 2 processes, 1 socket, 1 info"),
    Rung(
        "3p1s",
        "three",
        {"families": frozenset({"create", "share", "close", "lifecycle", "connection"})},
        "3 processes, 1 socket, 1 info, 1 handle each, with exits and connections",
    ),
    Rung(
        "bench-noipc",
        "bench",
        {"families": frozenset({"create", "share", "close", "lifecycle", "connection", "io"})},
        "bench without the IPC of the seed's table",
    ),
    Rung("bench-1info", "bench", {"max_infos": 1}, "bench with one info"),
    Rung("bench", "bench", {}, "the named bench configuration"),
)


def _measure_child(argv: list[str]) -> int:
    """The measuring child of a rung: search one configuration (JSON on argv) and print
    the figures as JSON. A fresh process per rung, so its peak memory is its own."""
    rung = next(r for r in LADDER if r.name == argv[0])
    symmetry = argv[1] == "on"
    max_seconds = float(argv[2])
    config = rung.config()
    semantics = Semantics(config)
    bar = _Progress(None, max_seconds, show=False)
    start = time.perf_counter()
    space = search(semantics, symmetry=symmetry, on_progress=bar, stop_at_violation=False)
    seconds = time.perf_counter() - start
    json.dump(
        {
            "states": space.states,
            "edges": space.edge_count,
            "depth": space.depth,
            "seconds": seconds,
            "complete": space.complete,
            "cap": space.cap,
            "violations": sorted(space.problems),
            "peak_memory_mib": peak_memory_mib(),
        },
        sys.stdout,
    )
    return 0


def bench_rung(rung: Rung, symmetry: bool, max_seconds: float) -> dict[str, Any]:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "wsshare.conformance.cli.explore",
            "--measure",
            rung.name,
            "on" if symmetry else "off",
            str(max_seconds),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    data: dict[str, Any] = json.loads(proc.stdout)
    data.update(rung=rung.name, symmetry=symmetry)
    data["states_per_second"] = data["states"] / max(data["seconds"], 1e-9)
    data["successors_per_second"] = data["edges"] / max(data["seconds"], 1e-9)
    return data


def explore_ladder(
    names: list[str] | None, max_seconds: float, on_row: Callable[[dict[str, Any]], None]
) -> list[dict[str, Any]]:
    """Run the rungs in order, each with and without symmetry, until a rung hits the
    time cap in both modes (the ones above it would too)."""
    rungs = [r for r in LADDER if names is None or r.name in names]
    rows = []
    for rung in rungs:
        capped = 0
        for symmetry in (False, True):
            row = bench_rung(rung, symmetry, max_seconds)
            on_row(row)
            rows.append(row)
            capped += row["cap"] is not None
        if capped == 2:
            break
    return rows


def cmd_bench_explore(args: argparse.Namespace) -> int:
    names = [n.strip() for n in args.rungs.split(",") if n.strip()] if args.rungs else None
    known = [r.name for r in LADDER]
    if names is not None:
        unknown = [n for n in names if n not in known]
        if unknown or not names:
            raise InputError(f"--rungs: unknown rung {unknown}; use some of {', '.join(known)}")
    if args.seconds <= 0:
        raise InputError(f"--seconds: expected a positive number, got {args.seconds}")
    if not args.json:
        print(
            f"{'rung':<12} {'symmetry':>8} {'states':>11} {'edges':>12} {'depth':>5} "
            f"{'seconds':>8} {'states/s':>9} {'succ/s':>10} {'peak MiB':>9}  status"
        )

    def show(row: dict[str, Any]) -> None:
        if args.json:
            return
        status = "complete" if row["complete"] else f"capped: {row['cap']}"
        if row["violations"]:
            status += f"; VIOLATES {', '.join(row['violations'])}"
        print(
            f"{row['rung']:<12} {'on' if row['symmetry'] else 'off':>8} {row['states']:>11,} "
            f"{row['edges']:>12,} {row['depth']:>5} {row['seconds']:>8.2f} "
            f"{row['states_per_second']:>9,.0f} {row['successors_per_second']:>10,.0f} "
            f"{row['peak_memory_mib']:>9,.0f}  {status}",
            flush=True,
        )

    rows = explore_ladder(names, args.seconds, show)
    if args.json:
        json.dump(rows, sys.stdout, indent=2)
        sys.stdout.write("\n")
    return EXIT_FAILED if any(r["violations"] for r in rows) else EXIT_OK


# -- argument parsing ---------------------------------------------------------------------


def _common(p: argparse.ArgumentParser, max_states: int) -> None:
    p.add_argument("config", help="a named configuration (tiny, bench, ...) or a .json file")
    p.add_argument("--profile", default="documented", help="profile to explore under")
    p.add_argument(
        "--granularity",
        choices=("api", "spi"),
        help="step granularity (default: the configuration's own)",
    )
    p.add_argument(
        "--no-symmetry",
        action="store_true",
        help="keep every world, not one per orbit of interchangeable processes",
    )
    p.add_argument(
        "--max-states",
        type=int,
        default=max_states,
        help=f"stop (exit 3) after this many distinct states (default {max_states:,})",
    )
    p.add_argument(
        "--max-memory",
        type=float,
        default=DEFAULT_MAX_MEMORY_MIB,
        metavar="MIB",
        help=f"stop (exit 3) above this peak memory (default {DEFAULT_MAX_MEMORY_MIB:,} MiB)",
    )
    p.add_argument(
        "--mutant",
        help="explore a deliberately broken implementation (see `wsshare rules`), as the "
        "tests do, to see a counterexample",
    )


def register(subparsers: Any) -> None:
    """Add `explore` and `graph` to the CLI's subparsers."""
    p = subparsers.add_parser(
        "explore",
        help="search every reachable state, checking every invariant",
        description="Breadth-first search of the reachable worlds of a configuration, "
        "with symmetry over interchangeable processes. Checks every invariant in every "
        "state, the release check, and witnesses each reachability property. Exit status: "
        "0 all hold, 1 a violation (its shortest counterexample is written as a trace "
        "that `wsshare check` replays), 2 bad input, 3 a cap was hit.",
    )
    _common(p, DEFAULT_MAX_STATES)
    p.add_argument("--max-seconds", type=float, default=None, help="stop (exit 3) after this long")
    p.add_argument(
        "--all-violations",
        action="store_true",
        help="go on after a violation and report the first of each invariant",
    )
    p.add_argument(
        "--trace-out",
        default="counterexample-{config}-{invariant}.jsonl",
        help="where counterexample traces go ({config} and {invariant} are filled in)",
    )
    p.add_argument("--no-trace", action="store_true", help="write no counterexample trace")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(run=cmd_explore)

    from ..graph.export import DEFAULT_MAX_EDGES, DEFAULT_MAX_NODES, FORMATS

    p = subparsers.add_parser(
        "graph",
        help="export the reachable-state graph (GraphML, DOT, JSON, HTML, SVG, PNG)",
        description="Search a configuration and export its state graph. Graphs above the "
        "export cap are refused (exit 3); --project merges states that agree on chosen "
        "fields. The HTML view is self-contained and works offline.",
    )
    _common(p, DEFAULT_GRAPH_MAX_STATES)
    p.add_argument("-o", "--output", required=True, help="the file to write")
    p.add_argument("--format", choices=FORMATS, help="default: from the output's suffix")
    p.add_argument(
        "--project",
        metavar="FIELDS",
        help="keep only these fields (comma-separated, e.g. sockets.open,infos.consumed,"
        "processes.status) and merge states that agree on them",
    )
    p.add_argument("--max-nodes", type=int, default=DEFAULT_MAX_NODES, help="export cap")
    p.add_argument("--max-edges", type=int, default=DEFAULT_MAX_EDGES, help="export cap")
    p.add_argument(
        "--witness",
        metavar="PROPERTY",
        help="highlight the path to this property's witness (default: to the first "
        "violation, if any)",
    )
    p.set_defaults(run=cmd_graph)


def add_bench_explore(bench_subparsers: Any) -> None:
    """Add `bench explore` beside `bench check`."""
    b = bench_subparsers.add_parser(
        "explore",
        help="exploration speed on a ladder of configurations, with and without symmetry",
    )
    b.add_argument(
        "--rungs",
        help=f"comma-separated rungs (default: all, smallest first: "
        f"{', '.join(r.name for r in LADDER)})",
    )
    b.add_argument(
        "--seconds",
        type=float,
        default=120.0,
        help="time cap per rung and mode; the ladder stops at a rung capped in both",
    )
    b.add_argument("--json", action="store_true", help="machine-readable output")
    b.set_defaults(run=cmd_bench_explore)


if __name__ == "__main__":
    # `bench explore` measures each rung in a fresh interpreter (a clean peak memory).
    if sys.argv[1:2] != ["--measure"]:
        sys.exit("this module runs one rung of `wsshare bench explore`; run `wsshare` instead")
    sys.exit(_measure_child(sys.argv[2:]))

"""`wsshare bench stateful`: how much of a configuration's graph the stateful runs visit.

Runs the stateful machine on the reference model under a named configuration (tiny by
default) and prints the fraction of the explored graph's worlds and edges the runs
visited, for the chosen steering or, with `--steering all`, for each steering so that
what each one adds shows (the default, `explore`, is the one the README's figure is
of), and which edges were not visited, by call. With `--mutants`, it also runs every mutant as the
implementation under test and prints whether it was caught and how long the shrunk
failing program is.

Wire it into cli.py's build_parser with `add_bench_stateful(bench_sub)`.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from ..loading import InputError, load_config, load_profile

EXIT_OK, EXIT_FAILED = 0, 1


def add_bench_stateful(bench_subparsers: Any) -> argparse.ArgumentParser:
    """Add the `stateful` subcommand to `wsshare bench`'s subparsers."""
    from ..stateful.machine import BENCH_EXAMPLES, BENCH_STEPS, STEERINGS

    b: argparse.ArgumentParser = bench_subparsers.add_parser(
        "stateful",
        help="graph coverage of the stateful runs (and, with --mutants, the mutants caught)",
        description="Run the stateful machine on the reference model and print which "
        "fraction of the configuration's reachable worlds and edges the runs visited.",
    )
    b.add_argument("--config", default="tiny", help="named configuration or JSON file")
    b.add_argument("--profile", default="documented", help="profile to check under")
    b.add_argument(
        "--examples", type=int, default=BENCH_EXAMPLES, help="runs (hypothesis examples)"
    )
    b.add_argument("--steps", type=int, default=BENCH_STEPS, help="most steps per run")
    b.add_argument(
        "--steering",
        default="explore",
        choices=[*STEERINGS, "all"],
        help="how rule choice is steered; 'all' compares every steering",
    )
    b.add_argument(
        "--mutants", action="store_true", help="also run every mutant and report the catch"
    )
    b.add_argument("--json", action="store_true", help="machine-readable output")
    b.set_defaults(run=cmd_bench_stateful)
    return b


def cmd_bench_stateful(args: argparse.Namespace) -> int:
    from ..fixtures.mutants import MUTANTS_BY_NAME
    from ..stateful.machine import STEERINGS, TEETH, catch, coverage

    if args.examples <= 0 or args.steps <= 0:
        raise InputError("--examples and --steps must be positive")
    config = load_config(args.config)
    profile = load_profile(args.profile)
    names = list(STEERINGS) if args.steering == "all" else [args.steering]
    reports = []
    for name in names:
        report = coverage(
            config,
            profile,
            config_name=args.config,
            examples=args.examples,
            steps=args.steps,
            steering=STEERINGS[name],
        )
        reports.append(report)
        if not args.json:
            print(report.line(), flush=True)
            print(report.missed_line(), flush=True)
    caught: list[dict[str, Any]] = []
    if args.mutants:
        for tooth in TEETH:
            if tooth.config is None:
                kind = "not observable" if tooth.unobservable else "not run"
                caught.append({"mutant": tooth.mutant, kind.replace(" ", "_"): tooth.reason})
                if not args.json:
                    print(f"{tooth.mutant:<40} {kind}: {tooth.reason}")
                continue
            c = catch(MUTANTS_BY_NAME[tooth.mutant])
            caught.append(
                {
                    "mutant": c.mutant,
                    "caught": c.caught,
                    "shrunk_steps": c.steps,
                    "shrunk_events": c.events,
                    "rules": list(c.rules),
                    "event": c.event_index,
                    "trace": str(c.path) if c.path else None,
                    "seconds": round(c.seconds, 2),
                }
            )
            if not args.json:
                verdict = (
                    f"caught: {c.steps} steps, {c.events} events, "
                    f"{', '.join(c.rules)} at event {c.event_index}"
                    if c.caught
                    else "NOT CAUGHT"
                )
                print(f"{c.mutant:<40} {verdict} ({c.seconds:.1f} s)", flush=True)
    if args.json:
        data = {
            "coverage": [
                r.__dict__ | {"state_fraction": r.state_fraction, "edge_fraction": r.edge_fraction}
                for r in reports
            ],
            "mutants": caught,
        }
        print(json.dumps(data, indent=2))
    missed = [c for c in caught if c.get("caught") is False]
    return EXIT_FAILED if missed else EXIT_OK

"""The `wsshare` command line. The only place that prints for a person.

Exit status: 0 success, 1 a check failed (a violation, a scenario that departs from the
model), 2 bad input (an unknown profile, a malformed file), 3 undecided (a cap was hit).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from pydantic import ValidationError

from wsshare.model import PROFILES, RULES, Profile, Semantics

from . import scenarios
from .loading import InputError, format_validation_error, load_profile
from .seedtable import TableEntry, build_rows, markdown

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT, EXIT_UNDECIDED = 0, 1, 2, 3


def _print_json(data: object) -> None:
    json.dump(data, sys.stdout, indent=2, sort_keys=False)
    sys.stdout.write("\n")


# -- rules ------------------------------------------------------------------------------


def cmd_rules(args: argparse.Namespace) -> int:
    from .mutants import MUTANTS, NOT_MUTATED

    mutants_of: dict[str, list[str]] = {}
    for m in MUTANTS:
        for rule_id in m.rules:
            mutants_of.setdefault(rule_id, []).append(m.name)
    if args.json:
        _print_json(
            [
                {
                    **r.model_dump(mode="json"),
                    "source_links": list(r.source_links()),
                    "mutants": mutants_of.get(r.id, []),
                    "not_mutated": NOT_MUTATED.get(r.id),
                }
                for r in RULES
            ]
        )
        return EXIT_OK
    counts: dict[str, int] = {}
    for r in RULES:
        counts[r.status] = counts.get(r.status, 0) + 1
        print(f"{r.id:<4} {r.status:<12} {r.statement}")
        if r.status == "implemented":
            print(f"     by: {', '.join(r.implemented_by)}")
            if r.id in mutants_of:
                print(f"     broken by mutants: {', '.join(mutants_of[r.id])}")
        elif r.status == "deferred":
            print(f"     issue #{r.issue}: {r.reason}")
        else:
            print(f"     why: {r.reason}")
        print(f"     source: {'; '.join(r.source_links())}")
    summary = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
    print(f"\n{len(RULES)} rules: {summary}")
    return EXIT_OK


# -- profiles ---------------------------------------------------------------------------


def cmd_profiles(args: argparse.Namespace) -> int:
    profiles = list(PROFILES.values())
    if args.json:
        _print_json([p.model_dump(mode="json") for p in profiles])
        return EXIT_OK
    knobs = list(profiles[0].knobs())
    for p in profiles:
        print(f"{p.name}: {p.description}")
    width = max(len(k) for k in knobs)
    print()
    print(f"{'knob':<{width}}  " + "  ".join(f"{p.name:<14}" for p in profiles))
    for k in knobs:
        values = [p.knobs()[k] for p in profiles]
        cells = "  ".join(f"{_show(v):<14}" for v in values)
        print(f"{k:<{width}}  {cells}")
    return EXIT_OK


def _show(value: object) -> str:
    if isinstance(value, list):
        return "{" + ",".join(str(v) for v in sorted(value)) + "}"
    return str(value).lower() if isinstance(value, bool) else str(value)


# -- handoff and scenarios ---------------------------------------------------------------


def _entries(run: scenarios.ScenarioRun) -> list[TableEntry]:
    out = []
    for s in run.steps:
        if isinstance(s.step, scenarios.Call) and s.outcome is not None:
            out.append(
                TableEntry(
                    getattr(s.step.action, "pid", None),
                    s.step.action,
                    s.outcome.result,
                    s.step.seed_step,
                )
            )
    return out


def cmd_handoff(args: argparse.Namespace) -> int:
    profile = load_profile(args.profile)
    scenario = scenarios.SEED
    result = scenarios.run(scenario, _semantics(scenario, profile))
    entries = _entries(result)
    if args.json:
        _print_json(
            {
                "profile": profile.name,
                "completed": result.passed,
                "steps": [
                    {
                        "seed_step": e.step,
                        "pid": e.pid,
                        "action": e.action.model_dump(mode="json"),
                        "result": e.result.model_dump(mode="json"),
                    }
                    for e in entries
                ],
                "departures": [s.message for s in result.steps if not s.ok],
            }
        )
    else:
        print(
            f"The seed's handoff under the {profile.name} profile "
            "(P1 is the source, P2 the target; WSP name, then the WSA call it stands for):\n"
        )
        print(markdown(build_rows(entries, source_pid=1, target_pid=2)))
        if not result.passed:
            print("\nThe handoff did not complete:")
            print(result.explain())
    return EXIT_OK if result.passed else EXIT_FAILED


def _semantics(scenario: scenarios.Scenario, profile: Profile) -> Semantics:
    return Semantics(scenario.config(), scenario.profile(profile))


def cmd_scenarios(args: argparse.Namespace) -> int:
    profile = load_profile(args.profile)
    runs = [scenarios.run(s, _semantics(s, profile)) for s in scenarios.ALL_SCENARIOS]
    if args.json:
        _print_json(
            [
                {
                    "id": r.scenario.id,
                    "title": r.scenario.title,
                    "rules": list(r.scenario.rules),
                    "passed": r.passed,
                    "steps": [s.message for s in r.steps],
                }
                for r in runs
            ]
        )
    else:
        for r in runs:
            mark = "pass" if r.passed else "FAIL"
            print(f"{mark}  {r.scenario.id:<14} {r.scenario.title} [{', '.join(r.scenario.rules)}]")
            if not r.passed or args.verbose:
                print("\n".join("      " + line for line in r.explain().splitlines()[1:]))
        failed = sum(1 for r in runs if not r.passed)
        print(f"\n{len(runs) - failed} passed, {failed} failed (profile {profile.name})")
    return EXIT_OK if all(r.passed for r in runs) else EXIT_FAILED


# -- entry point ------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="wsshare",
        description="A formal model of Winsock socket sharing between processes, and a "
        "conformance checker for recorded traces.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("rules", help="the fifty rules, their sources and what implements them")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(run=cmd_rules)

    p = sub.add_parser("profiles", help="the profiles and their knobs")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(run=cmd_profiles)

    p = sub.add_parser("handoff", help="run the seed's ten-step handoff through the model")
    p.add_argument("--profile", default="documented", help="profile to run under")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(run=cmd_handoff)

    p = sub.add_parser("scenarios", help="run the scenarios of semantics.md section C")
    p.add_argument("--profile", default="documented", help="profile to run under")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("-v", "--verbose", action="store_true", help="show every step")
    p.set_defaults(run=cmd_scenarios)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.run(args))
    except InputError as e:
        print(f"wsshare: error: {e}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except ValidationError as e:
        print(f"wsshare: error: {format_validation_error(e, 'input')}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except BrokenPipeError:
        return EXIT_OK
    except KeyboardInterrupt:
        print("wsshare: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())

"""The `wsshare` command line. The only place that prints for a person.

Exit status: 0 success, 1 a check failed (a violation, a scenario that departs from the
model), 2 bad input (an unknown profile, a malformed file), 3 undecided (a cap was hit).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from pydantic import ValidationError

from wsshare.model import CATALOGUE_RULES, LINUX_RULES, PROFILES, RULES, Profile, Rule, Semantics

from ..checking import runner
from ..checking.engine import DEFAULT_MAX_CANDIDATES, CheckResult, check_file
from ..fixtures import scenarios
from ..loading import InputError, format_validation_error, load_profile
from ..reports import junit
from ..reports.seedtable import TableEntry, build_rows, markdown
from ..trace import TraceError
from .explore import add_bench_explore
from .explore import register as register_explore
from .imports import register_import_and_record
from .stateful import add_bench_stateful

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT, EXIT_UNDECIDED = 0, 1, 2, 3


def _print_json(data: object) -> None:
    json.dump(data, sys.stdout, indent=2, sort_keys=False)
    sys.stdout.write("\n")


# -- rules ------------------------------------------------------------------------------


def cmd_rules(args: argparse.Namespace) -> int:
    from ..fixtures.mutants import MUTANTS, NOT_MUTATED

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
                for r in (*RULES, *CATALOGUE_RULES, *LINUX_RULES)
            ]
        )
        return EXIT_OK
    counts: dict[str, int] = {}
    for r in (*RULES, *CATALOGUE_RULES, *LINUX_RULES):
        if r.id == CATALOGUE_RULES[0].id:
            print("\nThe error lists of the model's other calls:\n")
        if r.id == LINUX_RULES[0].id:
            print("\nLinux (the linux, linux-scm-rights and linux-pidfd profiles):\n")
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
    counted = f"{len(RULES)} rules, {len(CATALOGUE_RULES)} more of error lists"
    print(f"\n{counted} and {len(LINUX_RULES)} Linux rules: {summary}")
    return EXIT_OK


# -- profiles ---------------------------------------------------------------------------


def cmd_profiles(args: argparse.Namespace) -> int:
    profiles = list(PROFILES.values())
    if args.template:
        # A file for --profile: every knob of a named profile, under a name of its own.
        base = load_profile(args.template)
        _print_json(base.model_copy(update={"name": f"{base.name}-custom"}).model_dump(mode="json"))
        return EXIT_OK
    if args.json:
        _print_json([p.model_dump(mode="json") for p in profiles])
        return EXIT_OK
    knobs = list(profiles[0].knobs())
    differing = [k for k in knobs if len({_show(p.knobs()[k]) for p in profiles}) > 1]
    shown = knobs if args.all else differing
    for p in profiles:
        print(f"{p.name}: {p.description}")
    width = max(len(k) for k in shown)
    print(
        f"\nknobs where the profiles differ ({len(differing)} of {len(knobs)}; "
        "--all for every knob):\n"
        if not args.all
        else ""
    )
    col = max(len(_show(p.knobs()[k])) for p in profiles for k in shown)
    col = max(col, *(len(p.name) for p in profiles))
    print(f"{'knob':<{width}}  " + "  ".join(f"{p.name:<{col}}" for p in profiles))
    for k in shown:
        cells = "  ".join(f"{_show(p.knobs()[k]):<{col}}" for p in profiles)
        print(f"{k:<{width}}  {cells}")
    if args.evidence:
        for p in profiles:
            if p.evidence:
                print(f"\n{p.name}, the evidence for each knob:")
                for k, why in p.evidence.items():
                    print(f"  {k}: {why}")
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
    if args.granularity == "spi":
        return _handoff_spi(args, profile)
    scenario = scenarios.SEED
    result = scenarios.run(scenario, _semantics(scenario, profile))
    entries = _entries(result)
    if args.json:
        _print_json(
            {
                "profile": profile.name,
                "granularity": "api",
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


def _handoff_spi(args: argparse.Namespace, profile: Profile) -> int:
    catalogs = ["ifs", "non-ifs"] if args.provider == "both" else [args.provider]
    runs = {c: scenarios.run_spi(scenarios.SEED, profile, c) for c in catalogs}
    if args.json:
        _print_json(
            {
                "profile": profile.name,
                "granularity": "spi",
                "runs": {
                    c: {
                        "catalog": [e.model_dump(mode="json") for e in scenarios.CATALOGS[c]],
                        "completed": r.passed,
                        "failure": r.failure,
                        "steps": [
                            {
                                "seed_step": step,
                                "pid": pid,
                                "action": action.model_dump(mode="json"),
                                "result": result.model_dump(mode="json"),
                            }
                            for pid, action, result, step, _ in r.entries
                        ],
                    }
                    for c, r in runs.items()
                },
            }
        )
    else:
        for c, r in runs.items():
            chain = " over ".join(e.name for e in reversed(scenarios.CATALOGS[c]))
            print(
                f"The seed's handoff at spi granularity through {chain} ({c}), under the "
                f"{profile.name} profile; ↳ marks the provider's SPI steps inside a call:\n"
            )
            entries = [
                TableEntry(pid, action, result, step, label)
                for pid, action, result, step, label in r.entries
            ]
            print(markdown(build_rows(entries, source_pid=1, target_pid=2)))
            if r.failure:
                print(f"\nThe handoff did not complete: {r.failure}")
            print()
    return EXIT_OK if all(r.passed for r in runs.values()) else EXIT_FAILED


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


# -- check --------------------------------------------------------------------------------


class _Colour:
    """ANSI colour on a terminal only, and never when NO_COLOR is set."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    def __call__(self, text: str, code: str) -> str:
        return f"\033[{code}m{text}\033[0m" if self.enabled else text


def _violation_lines(outcome: runner.JobResult) -> list[str]:
    r = outcome.result
    if r is None or r.violation is None:
        return []
    return ["    " + line for line in r.violation.to_text().splitlines()]


def _describe_result(r: CheckResult) -> str:
    return r.summary()


def _outcome_json(o: runner.JobResult) -> dict[str, object]:
    data: dict[str, object] = {
        "file": o.job.display,
        "path": o.job.path,
        "profile": o.job.profile,
        "passed": o.passed,
        "seconds": round(o.seconds, 4),
    }
    if o.job.expected is not None:
        data["expected"] = o.job.expected.model_dump(mode="json")
        data["mismatch"] = o.mismatch
    if o.error is not None:
        data["error"] = o.error
    if o.result is not None:
        data.update(o.result.to_data())
    return data


def _rules_for(outcomes: list[runner.JobResult]) -> tuple[Rule, ...]:
    """The Winsock rules, and the Linux ones when a Linux profile was checked."""
    linux = any(o.job.spec.platform == "linux" for o in outcomes)
    return (*RULES, *CATALOGUE_RULES, *LINUX_RULES) if linux else (*RULES, *CATALOGUE_RULES)


def _coverage(outcomes: list[runner.JobResult]) -> dict[str, list[str]]:
    from wsshare.model import ACTION_TYPES

    rules: set[str] = set()
    calls: set[str] = set()
    for o in outcomes:
        if o.result is not None:
            rules |= o.result.rules_exercised
            calls |= set(o.result.calls)
    implemented = [r.id for r in _rules_for(outcomes) if r.status == "implemented"]
    every_call = [t.model_fields["call"].default for t in ACTION_TYPES]
    return {
        "rules_exercised": [r for r in implemented if r in rules],
        "rules_never": [r for r in implemented if r not in rules],
        "calls_exercised": [c for c in every_call if c in calls],
        "calls_never": [c for c in every_call if c not in calls],
    }


def _rules_table(outcomes: list[runner.JobResult]) -> str:
    """Per implemented rule: the traces that break it, and whether any trace that
    conforms exercised it (Markdown). What the README's Wine table is made of."""
    broken: dict[str, list[str]] = {}
    honoured: set[str] = set()
    profiles = sorted({o.job.profile for o in outcomes})
    for o in outcomes:
        r = o.result
        if r is None:
            continue
        if r.verdict == "conforms":
            honoured |= r.rules_exercised
        elif r.violation is not None:
            for rule_id in r.violation.rules:
                broken.setdefault(rule_id, []).append(Path(o.job.display).stem)
    lines = [
        f"Rules under {', '.join(profiles)}, over {len(outcomes)} trace check(s):",
        "",
        "| rule | statement | traces that break it | exercised by a conforming trace |",
        "|---|---|---|---|",
    ]
    for rule in _rules_for(outcomes):
        if rule.status != "implemented":
            continue
        if rule.id not in broken and rule.id not in honoured:
            continue
        who = ", ".join(sorted(set(broken.get(rule.id, [])))) or "none"
        lines.append(
            f"| {rule.id} | {rule.statement} | {who} | {'yes' if rule.id in honoured else 'no'} |"
        )
    return "\n".join(lines)


def cmd_check(args: argparse.Namespace) -> int:
    plan = runner.plan(args.paths, args.profile)
    workers = args.jobs or os.cpu_count() or 1
    outcomes = runner.run_jobs(plan.jobs, workers, args.max_candidates)
    if args.junit:
        cases = [
            junit.Case(
                name=f"{o.job.display} [{o.job.profile}]",
                classname="wsshare.check",
                seconds=o.seconds,
                failure=None
                if o.passed or o.error
                else (o.mismatch or (o.result and _describe_result(o.result)) or "failed"),
                error=o.error,
                output="\n".join(_violation_lines(o)),
            )
            for o in outcomes
        ]
        junit.write_junit(cases, args.junit)
    coverage = _coverage(outcomes) if args.coverage else None
    if args.rules_table:
        print(_rules_table(outcomes))
        return _check_exit_code(outcomes, plan.manifest_mode, args.profile)
    code = _check_exit_code(outcomes, plan.manifest_mode, args.profile)
    if args.json:
        _print_json(
            {
                "mode": "manifest" if plan.manifest_mode else "profile",
                "results": [_outcome_json(o) for o in outcomes],
                "passed": sum(o.passed for o in outcomes),
                "failed": sum(not o.passed for o in outcomes),
                "exit_code": code,
                **({"coverage": coverage} if coverage else {}),
            }
        )
        return code
    colour = _Colour(sys.stdout.isatty() and not os.environ.get("NO_COLOR") and not args.no_color)
    if args.profile == "all":
        _print_acceptance(outcomes)
    else:
        for o in outcomes:
            _print_outcome(o, colour, args.verbose)
    if coverage:
        print("\ncoverage of the model by these traces:")
        for key, items in coverage.items():
            print(f"  {key.replace('_', ' ')} ({len(items)}): {', '.join(items) or '-'}")
    if args.profile == "all":
        traces = {o.job.path for o in outcomes}
        none = traces - {
            o.job.path for o in outcomes if o.result and o.result.verdict == "conforms"
        }
        print(f"\n{len(traces) - len(none)} trace(s) accepted by some profile, {len(none)} by none")
        return code
    passed = sum(o.passed for o in outcomes)
    print(f"\n{passed} passed, {len(outcomes) - passed} failed")
    return code


def _print_outcome(o: runner.JobResult, colour: _Colour, verbose: bool) -> None:
    name = f"{o.job.display} [{o.job.profile}]"
    if o.error is not None:
        print(f"{colour('ERROR', '1;31')} {name}: {o.error}")
        return
    assert o.result is not None
    mark = colour("PASS ", "32") if o.passed else colour("FAIL ", "1;31")
    if o.job.expected is not None:
        what = o.mismatch or f"{_describe_result(o.result)}, as the manifest expects"
    else:
        what = _describe_result(o.result)
    print(f"{mark} {name}: {what}")
    if o.result.violation is not None and (verbose or o.job.expected is None or o.mismatch):
        print("\n".join(_violation_lines(o)))


def _print_acceptance(outcomes: list[runner.JobResult]) -> None:
    """Per trace, the profiles (of its platform) that accept it."""
    by_trace: dict[str, list[runner.JobResult]] = {}
    for o in outcomes:
        by_trace.setdefault(o.job.display, []).append(o)
    for trace, items in by_trace.items():
        accepted = [o.job.profile for o in items if o.result and o.result.verdict == "conforms"]
        errors = [o.error for o in items if o.error]
        if errors:
            print(f"{trace}: bad input: {errors[0]}")
        else:
            print(f"{trace}: accepted by {', '.join(accepted) or 'no profile'}")


def _check_exit_code(
    outcomes: list[runner.JobResult], manifest_mode: bool, profile: str | None
) -> int:
    if any(o.error for o in outcomes):
        return EXIT_BAD_INPUT
    if profile == "all":
        # Which profiles accept each trace is the report; a trace none accepts fails.
        accepted: dict[str, bool] = {}
        for o in outcomes:
            ok = o.result is not None and o.result.verdict == "conforms"
            accepted[o.job.path] = accepted.get(o.job.path, False) or ok
        return EXIT_OK if all(accepted.values()) else EXIT_FAILED
    if any(o.job.expected is not None and o.mismatch for o in outcomes):
        return EXIT_FAILED
    free = [o.result for o in outcomes if o.job.expected is None and o.result is not None]
    if any(r.verdict == "violates" for r in free):
        return EXIT_FAILED
    if any(r.verdict == "unknown" for r in free):
        return EXIT_UNDECIDED
    return EXIT_OK


def cmd_schema(args: argparse.Namespace) -> int:
    from ..trace import json_schema

    _print_json(json_schema())
    return EXIT_OK


def cmd_corpus(args: argparse.Namespace) -> int:
    from ..fixtures.corpus import build_corpus, write_manifest

    folder = Path(args.folder)
    entries = build_corpus(folder)
    write_manifest(folder / runner.MANIFEST, entries)
    violating = sum(1 for e in entries if e.expect["documented"]["verdict"] == "violates")
    print(f"wrote {len(entries)} traces ({violating} violating) and {folder / runner.MANIFEST}")
    return EXIT_OK


def cmd_render(args: argparse.Namespace) -> int:
    from ..reports import render

    if args.format == "markdown":
        text = render.trace_table_markdown(args.trace)
    else:
        highlight, note = None, ""
        if args.check:
            result = check_file(args.trace, load_profile(args.profile))
            note = f"{result.verdict} under {result.profile}"
            if result.violation is not None:
                highlight = result.violation.index
                note += f": {_describe_result(result)}; {result.violation.observed}"
        text = render.sequence_chart_html(args.trace, highlight=highlight, note=note)
    if args.output:
        Path(args.output).write_text(text + "\n", encoding="utf-8")
        print(f"wrote {args.output}")
    else:
        sys.stdout.write(text + "\n")
    return EXIT_OK


def cmd_bench(args: argparse.Namespace) -> int:
    from ..bench import Rung, check_ladder

    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    if not sizes or min(sizes) <= 0:
        raise InputError(f"--sizes: expected positive event counts, got {args.sizes!r}")
    if not args.json:
        print(f"{'rung':<16} {'events':>9} {'seconds':>8} {'events/s':>10} {'peak RSS MiB':>13}")

    def show(r: Rung) -> None:
        if not args.json:
            print(
                f"{r.name:<16} {r.events:>9} {r.seconds:>8.2f} {r.events_per_second:>10,.0f}"
                f" {r.peak_rss_mib:>13.1f}  {r.verdict}",
                flush=True,
            )

    rungs = check_ladder(sizes, args.partial or None, on_rung=show)
    if args.json:
        _print_json([r.__dict__ for r in rungs])
    return EXIT_OK if all(r.verdict == "conforms" for r in rungs) else EXIT_FAILED


# -- entry point ------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="wsshare",
        description="A formal model of Winsock socket sharing between processes, and a "
        "conformance checker for recorded traces.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser(
        "rules",
        help="the fifty rules, E1 and the Linux rules L1..L14: sources, what implements them",
    )
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(run=cmd_rules)

    p = sub.add_parser("profiles", help="the profiles and the knobs where they differ")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--all", action="store_true", help="every knob, not only those that differ")
    p.add_argument("--evidence", action="store_true", help="what each knob's value rests on")
    p.add_argument(
        "--template",
        metavar="NAME",
        help="print profile NAME as a file with every knob, to edit and pass to --profile",
    )
    p.set_defaults(run=cmd_profiles)

    p = sub.add_parser("handoff", help="run the seed's ten-step handoff through the model")
    p.add_argument("--profile", default="documented", help="profile to run under")
    p.add_argument(
        "--granularity",
        choices=["api", "spi"],
        default="api",
        help="spi shows the provider's SPI steps inside each call",
    )
    p.add_argument(
        "--provider",
        choices=["both", "ifs", "non-ifs", "lsp"],
        default="both",
        help="(spi) the provider chain: IFS base, non-IFS base, or an LSP over "
        "the IFS base; both = IFS and non-IFS",
    )
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(run=cmd_handoff)

    p = sub.add_parser("scenarios", help="run the scenarios of semantics.md section C")
    p.add_argument("--profile", default="documented", help="profile to run under")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("-v", "--verbose", action="store_true", help="show every step")
    p.set_defaults(run=cmd_scenarios)
    p = sub.add_parser(
        "check",
        help="check traces against the model",
        description="Check trace files, or folders of them. A folder with a manifest.json "
        "is checked against its expected verdicts (exit 0 when all match); with --profile, "
        "or without a manifest, the exit status reports the verdicts: 0 all conform, "
        "1 a violation, 3 unknown. 2 is bad input.",
    )
    p.add_argument("paths", nargs="+", metavar="PATH", help="trace files or folders")
    p.add_argument("--profile", help="check under this profile (or 'all'), ignoring manifests")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--junit", metavar="FILE", help="also write a JUnit XML report")
    p.add_argument(
        "--coverage", action="store_true", help="report which rules and calls the traces exercised"
    )
    p.add_argument("--jobs", type=int, default=0, help="parallel workers (default: all cores)")
    p.add_argument(
        "--max-candidates",
        type=int,
        default=DEFAULT_MAX_CANDIDATES,
        help="worlds kept before the verdict becomes unknown",
    )
    p.add_argument("--no-color", action="store_true", help="no colour even on a terminal")
    p.add_argument(
        "--rules-table",
        action="store_true",
        help="print, per rule, which traces break it and whether a conforming "
        "trace exercised it (Markdown)",
    )
    p.add_argument(
        "-v", "--verbose", action="store_true", help="details of expected violations too"
    )
    p.set_defaults(run=cmd_check)

    p = sub.add_parser("render", help="render a trace as the seed's table or a sequence chart")
    p.add_argument("trace", help="the trace file")
    p.add_argument("--format", choices=["markdown", "html"], default="markdown")
    p.add_argument("-o", "--output", help="write to this file instead of standard output")
    p.add_argument(
        "--check", action="store_true", help="(html) check the trace and mark the violating event"
    )
    p.add_argument("--profile", default="documented", help="profile for --check")
    p.set_defaults(run=cmd_render)

    p = sub.add_parser("bench", help="benchmarks that print figures")
    bench_sub = p.add_subparsers(dest="bench", required=True, metavar="WHAT")
    b = bench_sub.add_parser("check", help="events per second and peak memory of the checker")
    b.add_argument(
        "--sizes",
        default="10000,100000,1000000",
        help="events in each fully observed rung (comma-separated)",
    )
    b.add_argument(
        "--partial",
        type=int,
        default=100000,
        help="events in the partially observed rung (0 for none)",
    )
    b.add_argument("--json", action="store_true", help="machine-readable output")
    b.set_defaults(run=cmd_bench)
    add_bench_explore(bench_sub)
    add_bench_stateful(bench_sub)

    p = sub.add_parser("schema", help="print the JSON Schema of trace lines")
    p.set_defaults(run=cmd_schema)

    p = sub.add_parser("corpus", help="write the synthetic traces and their manifest")
    p.add_argument("folder", help="where to write them, e.g. traces/synthetic")
    p.set_defaults(run=cmd_corpus)

    register_explore(sub)
    register_import_and_record(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.run(args))
    except (InputError, TraceError) as e:
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

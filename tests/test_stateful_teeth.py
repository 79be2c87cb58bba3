"""Teeth of the stateful machine: mutants as implementations under test.

Every mutant of the rule -> mutant table is either run (and must be caught with the
teeth budget, a fixed seed and the explore steering) or listed with the reason no
observation can show its fault. Mutants whose fault is only visible at spi granularity
run on the spi-lsp configuration (IFS, non-IFS and layered providers). The length of each
failing program is recorded as a test property (`failing_events`); for the mutants of
SHRUNK_HERE the failure is shrunk here and the shrunk length recorded (`shrunk_steps`,
`shrunk_events`) and printed; `wsshare bench stateful --mutants` shrinks and prints it
for every mutant (shrinking them all takes a minute, over the default suite's budget)."""

import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from functools import partial

import pytest

from wsshare.conformance.fixtures.mutants import MUTANTS, MUTANTS_BY_NAME
from wsshare.conformance.stateful import machine as S

OBSERVABLE = [t for t in S.TEETH if t.config is not None]
SPI = [t for t in OBSERVABLE if t.config.granularity == "spi"]

# Shrunk in the default run: the two that need the longest interleavings, one whose
# shortest program is known, and one at spi level.
SHRUNK_HERE = (
    "no-target-check",
    "close-cancels-everyone",
    "cleanup-keeps-descriptors",
    "skips-wpuclosesockethandle",
)


def test_every_mutant_of_the_table_is_run_or_has_a_reason():
    listed = [t.mutant for t in S.TEETH]
    assert len(listed) == len(set(listed))
    assert set(listed) == {m.name for m in MUTANTS}, "classify each new mutant in TEETH"
    for tooth in S.TEETH:
        assert (tooth.config is None) == (tooth.reason is not None), tooth.mutant
        assert tooth.deferred is None, f"{tooth.mutant} is deferred: run it or say why not"
    assert len(OBSERVABLE) >= 32
    # The seven mutants of the SPI steps are observable at spi level (the first layer's
    # substitution through the info entry spi_step events carry).
    assert {t.mutant for t in SPI} == {
        "substitutes-at-first-layer",
        "skips-wpumodifyifshandle",
        "skips-wpuclosesockethandle",
        "routes-to-default-entry",
        "layer-drops-provider-context",
        "undocumented-provider-error",
        "non-ifs-advertises-ifs-handles",
    }


def test_every_rule_with_an_observable_mutant_is_run():
    # A rule row of the table whose every mutant is unobservable must say so; the rows
    # below are the ones the synthetic corpus shows with a trace, plus those only an
    # interleaving reaches.
    run = {r for t in OBSERVABLE for r in MUTANTS_BY_NAME[t.mutant].rules}
    assert {"R1", "R2", "R3", "R4", "R6", "R7", "R8", "R12", "R26", "R27", "R28"} <= run
    assert {"R30", "R31", "R33", "R35", "R36", "R39", "R40", "R46", "R48", "R50"} <= run
    assert {"D2", "D9", "R17", "R20", "R22", "R24", "R25", "R45", "R49"} <= run


@pytest.fixture(scope="module")
def catches(tmp_path_factory):
    """Every observable mutant run once, each in a fresh interpreter (the verdict of a
    fixed-seed run must not depend on what other tests left in the process); the
    failures of SHRUNK_HERE shrunk. Each kind of run writes its failures to its own
    folder (a failure file is named after the mutant)."""
    names = [t.mutant for t in OBSERVABLE]
    first, small = (str(tmp_path_factory.mktemp(n)) for n in ("failures", "shrunk"))
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as pool:
        shrunk = pool.map(partial(S.catch_by_name, shrink=True, folder=small), SHRUNK_HERE)
        found = pool.map(partial(S.catch_by_name, folder=first), names)
        return (
            dict(zip(names, found, strict=True)),
            dict(zip(SHRUNK_HERE, shrunk, strict=True)),
        )


@pytest.mark.parametrize("tooth", OBSERVABLE, ids=lambda t: t.mutant)
def test_mutant_is_caught(tooth, catches, record_property):
    caught = catches[0][tooth.mutant]
    assert caught.caught, f"{tooth.mutant} was not caught with the teeth budget"
    assert caught.rules, "a violation names the rules it breaks"
    record_property("failing_events", caught.events)
    # The failing program ends at the violation: the checker's event index is its last.
    assert caught.event_index == caught.events - 1
    assert 1 <= caught.events <= S.TEETH_STEPS


@pytest.mark.parametrize("name", SHRUNK_HERE)
def test_shrunk_failure_is_short_and_replays(name, catches, record_property):
    caught = catches[1][name]
    assert caught.caught
    record_property("shrunk_steps", caught.steps)
    record_property("shrunk_events", caught.events)
    print(f"{name}: shrunk to {caught.steps} steps, {caught.events} events")
    assert caught.events <= catches[0][name].events, "shrinking made the program longer"
    assert caught.path is not None
    assert S.replay(caught.path, S.DOCUMENTED) == (
        "violates",
        caught.event_index,
        list(caught.rules),
    )


def test_a_shrunk_failure_is_short(catches):
    shrunk = catches[1]
    # The smallest program that shows no-target-check is the socket, its duplication for
    # one process and its use in another: three events.
    assert shrunk["no-target-check"].events <= 4
    # close-cancels-everyone needs a socket, shared and connected, a recv blocked in one
    # process, a close in the other, and the recv's return: at most a dozen events.
    assert shrunk["close-cancels-everyone"].events <= 12
    # cleanup-keeps-descriptors: WSAStartup, WSASocket, WSACleanup, WSAStartup and a call
    # on the old value, which the mutant still honours.
    assert shrunk["cleanup-keeps-descriptors"].events <= 8

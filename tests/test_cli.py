"""The command line as a user runs it: output, JSON, and exit codes."""

import json


def test_rules_json_lists_fifty_rules_and_the_linux_ones_with_a_status_each(run_wsshare):
    proc = run_wsshare("rules", "--json")
    assert proc.returncode == 0, proc.stderr
    rules = json.loads(proc.stdout)
    assert [r["id"] for r in rules] == [f"R{i}" for i in range(1, 51)] + ["E1"] + [
        f"L{i}" for i in range(1, 15)
    ]
    assert all(r["status"] in {"implemented", "deferred", "out_of_scope"} for r in rules)
    r2 = next(r for r in rules if r["id"] == "R2")
    assert "info-usable-twice" in r2["mutants"]


def test_rules_text_ends_with_a_summary(run_wsshare):
    proc = run_wsshare("rules")
    assert proc.returncode == 0
    last = proc.stdout.strip().splitlines()[-1]
    assert last.startswith("50 rules, 1 more of error lists and 14 Linux rules:")


def test_handoff_prints_the_seed_table_with_results(run_wsshare):
    proc = run_wsshare("handoff")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "| Step | Source process | IPC | Target process |" in out
    assert "WSPDuplicateSocket (WSADuplicateSocket) h1 for pid 2 → OK, info #0" in out
    assert "WSPSocket (WSASocket) info #0 → OK, handle h1" in out
    assert "WSPCloseSocket (closesocket) h1 → OK" in out
    for step in range(1, 11):
        assert f"| {step} |" in out


def test_handoff_json_has_every_seed_step(run_wsshare):
    proc = run_wsshare("handoff", "--json")
    data = json.loads(proc.stdout)
    assert data["completed"] is True
    assert {s["seed_step"] for s in data["steps"]} >= set(range(1, 11))


def test_unknown_profile_is_one_line_and_exit_2(run_wsshare):
    proc = run_wsshare("handoff", "--profile", "windows-95")
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1
    assert "unknown profile 'windows-95'" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_scenarios_command_passes_and_counts(run_wsshare):
    proc = run_wsshare("scenarios")
    assert proc.returncode == 0
    assert proc.stdout.strip().splitlines()[-1].startswith("34 passed, 0 failed")


def test_profiles_lists_the_documented_profile(run_wsshare):
    proc = run_wsshare("profiles", "--json")
    names = [p["name"] for p in json.loads(proc.stdout)]
    assert "documented" in names

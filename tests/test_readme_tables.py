"""The README's rule tables are what the tool prints for the committed corpora, so they
cannot drift from the traces or the model."""

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    ("profile", "folder"),
    [("documented", "traces/real/wine"), ("linux-scm-rights", "traces/real/linux")],
)
def test_readme_rules_table_is_the_tools_output(run_wsshare, profile, folder):
    proc = run_wsshare("check", "--profile", profile, "--rules-table", str(ROOT / folder))
    assert proc.returncode in (0, 1), proc.stderr
    table = proc.stdout[proc.stdout.index("Rules under") :].strip()
    readme = (ROOT / "README.md").read_text()
    assert table in readme, (
        f"the README's table for {folder} is stale: paste the output of "
        f"`wsshare check --profile {profile} --rules-table {folder}`"
    )

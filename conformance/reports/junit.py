"""JUnit XML reports, so CI systems (Jenkins, GitLab, GitHub annotations) can show which
traces or scenarios failed without parsing wsshare's own output.

There is no single official JUnit schema; this writes the subset every common reader
accepts: <testsuites> with one <testsuite>, both carrying tests/failures/errors/time
counts, and one <testcase name classname time> per case holding at most one <failure> or
<error> (a `message` attribute with the first line, the whole text as content) and an
optional <system-out>.
"""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

# Characters XML 1.0 cannot hold at all, not even escaped. Checker output may carry them
# (a terminal colour code in a recorder's name, a NUL from a bad trace), and one of them
# would make the whole report unreadable, so they are shown as \xNN instead.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_MESSAGE_MAX = 200


def _xml_safe(text: str) -> str:
    return _NOT_XML.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


@dataclass
class Case:
    """One test case: a checked trace, a scenario, a profile run.

    `failure` is the explanation when the case ran and its check failed (a violation);
    `error` when it could not run (a malformed trace). A case is one or the other, since
    CI readers count it once and would show only one of them.
    """

    name: str
    classname: str
    seconds: float
    failure: str | None = None
    error: str | None = None
    output: str = ""

    def __post_init__(self) -> None:
        if self.failure is not None and self.error is not None:
            raise ValueError(f"case {self.name!r} has both a failure and an error")
        if not math.isfinite(self.seconds) or self.seconds < 0:
            raise ValueError(f"case {self.name!r}: seconds must be >= 0, not {self.seconds}")


def _message(text: str) -> str:
    """The one line readers show next to the case; the full text stays in the element."""
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    return first if len(first) <= _MESSAGE_MAX else first[: _MESSAGE_MAX - 1] + "…"


def _seconds(value: float) -> str:
    return f"{value:.3f}"


def junit_xml(cases: list[Case], suite: str = "wsshare") -> str:
    """The cases as a JUnit XML document (with its XML declaration), one suite."""
    failures = sum(1 for c in cases if c.failure is not None)
    errors = sum(1 for c in cases if c.error is not None)
    counts = {
        "tests": str(len(cases)),
        "failures": str(failures),
        "errors": str(errors),
        "time": _seconds(sum(c.seconds for c in cases)),
    }
    root = ET.Element("testsuites", {"name": _xml_safe(suite), **counts})
    testsuite = ET.SubElement(root, "testsuite", {"name": _xml_safe(suite), **counts})
    testsuite.set("skipped", "0")
    for case in cases:
        testcase = ET.SubElement(
            testsuite,
            "testcase",
            {
                "name": _xml_safe(case.name),
                "classname": _xml_safe(case.classname),
                "time": _seconds(case.seconds),
            },
        )
        for tag, text in (("failure", case.failure), ("error", case.error)):
            if text is not None:
                safe = _xml_safe(text)
                element = ET.SubElement(testcase, tag, {"message": _message(safe), "type": tag})
                element.text = safe
        if case.output:
            ET.SubElement(testcase, "system-out").text = _xml_safe(case.output)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def write_junit(cases: list[Case], path: str | Path, suite: str = "wsshare") -> None:
    """Write the report as UTF-8 (the encoding its declaration names)."""
    Path(path).write_text(junit_xml(cases, suite), encoding="utf-8")

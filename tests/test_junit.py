"""JUnit XML reports: the counts CI viewers show, and documents they can always parse."""

import xml.etree.ElementTree as ET

import pytest

from wsshare.conformance.reports.junit import Case, junit_xml, write_junit

CASES = [
    Case("seed.jsonl", "traces.documented", 0.25, output="conforms: 18 events"),
    Case(
        "violates-info-usable-twice.jsonl",
        "traces.documented",
        1.5,
        failure="violates R2 at event 7\n  observed: WSASocket -> OK\n  allowed: WSAEINVAL",
    ),
    Case("broken.jsonl", "traces.documented", 0.0, error="line 3: invalid JSON"),
    Case("C1", "scenarios", 0.125),
]


def parse(text):
    return ET.fromstring(text.encode("utf-8"))


def test_counts_on_the_suites_and_cases_in_order():
    root = parse(junit_xml(CASES, suite="wsshare check"))
    assert root.tag == "testsuites"
    (suite,) = root.findall("testsuite")
    for element in (root, suite):
        assert element.get("name") == "wsshare check"
        assert element.get("tests") == "4"
        assert element.get("failures") == "1"
        assert element.get("errors") == "1"
        assert float(element.get("time")) == pytest.approx(1.875)
    cases = suite.findall("testcase")
    assert [c.get("name") for c in cases] == [c.name for c in CASES]
    assert [c.get("classname") for c in cases] == [c.classname for c in CASES]
    assert [float(c.get("time")) for c in cases] == [0.25, 1.5, 0.0, 0.125]


def test_failure_has_the_first_line_as_message_and_the_whole_text():
    case = parse(junit_xml(CASES)).find(f"testsuite/testcase[@name='{CASES[1].name}']")
    (failure,) = case.findall("failure")
    assert failure.get("message") == "violates R2 at event 7"
    assert failure.text == CASES[1].failure
    assert case.find("error") is None


def test_error_and_output_elements():
    suite = parse(junit_xml(CASES)).find("testsuite")
    broken = suite.find("testcase[@name='broken.jsonl']")
    assert broken.find("error").get("message") == "line 3: invalid JSON"
    assert broken.find("failure") is None
    seed = suite.find("testcase[@name='seed.jsonl']")
    assert seed.find("system-out").text == "conforms: 18 events"
    assert list(suite.find("testcase[@name='C1']")) == []  # a pass has no children


def test_text_with_markup_and_control_characters_still_parses():
    nasty = Case(
        "<a & b>", 'say "hi"', 0.5, failure="\x1b[31mred\x1b[0m <tag> & \x00", output="\x07"
    )
    root = parse(junit_xml([nasty]))
    case = root.find("testsuite/testcase")
    assert case.get("name") == "<a & b>"
    assert case.get("classname") == 'say "hi"'
    assert case.find("failure").text == "\\x1b[31mred\\x1b[0m <tag> & \\x00"
    assert case.find("system-out").text == "\\x07"


def test_long_first_line_is_cut_in_the_message_only():
    text = "x" * 500
    failure = parse(junit_xml([Case("t", "c", 0, failure=text)])).find(".//failure")
    assert len(failure.get("message")) <= 200
    assert failure.text == text


def test_empty_report_is_valid():
    root = parse(junit_xml([]))
    assert root.find("testsuite").get("tests") == "0"
    assert root.find("testsuite").findall("testcase") == []


def test_write_junit_writes_utf8_that_parses(tmp_path):
    path = tmp_path / "report.xml"
    write_junit([Case("ünïcode → ok", "c", 0.1)], path)
    raw = path.read_bytes()
    assert raw.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    root = ET.parse(path).getroot()
    assert root.find("testsuite/testcase").get("name") == "ünïcode → ok"


def test_a_case_is_a_failure_or_an_error_not_both():
    with pytest.raises(ValueError, match="both"):
        Case("t", "c", 0, failure="f", error="e")
    with pytest.raises(ValueError, match="seconds"):
        Case("t", "c", -1.0)

"""Verdicts the checker used to get wrong on real recordings, each from a
hand-written trace of what the implementation did: the verdict it deserves, and the rules
a violation breaks."""

import json

import pytest

from wsshare.conformance.checking.engine import check_file
from wsshare.model import get_profile

HEADER = {"format": "wsshare-trace", "version": 1, "implementation": "hand-written"}


def write(tmp_path, events, name="t.jsonl", **header):
    path = tmp_path / name
    lines = [HEADER | header] + [{"seq": i, **e} for i, e in enumerate(events)]
    path.write_text("".join(json.dumps(x) + "\n" for x in lines))
    return str(path)


def check(path, profile="documented"):
    return check_file(path, get_profile(profile))


def ok(pid, call, value=None, **args):
    event = {"pid": pid, "call": call, "result": "ok", "args": args}
    if value is not None:
        event["value"] = value
    return event


def err(pid, call, error, **args):
    return {"pid": pid, "call": call, "result": "error", "error": error, "args": args}


def failed(pid, call, **args):
    return {"pid": pid, "call": call, "result": "failed", "args": args}


def use(event):
    """An event of WSASocket with the info whose bytes digest to "i1"."""
    return event | {"info_digest": "i1"}


HANDOFF = [
    ok(10, "WSASocket", 100),
    use(ok(10, "WSADuplicateSocket", None, handle=100, target_pid=20)),
    use(ok(20, "WSASocketFromInfo", 200)),
]


# -- process_start ------------------------------------------------------------------------


def test_a_process_that_starts_during_the_trace_takes_part(tmp_path):
    # No trace could say when a process starts while the model refused every
    # action of a process not running, process_start included.
    path = write(
        tmp_path,
        [
            ok(10, "WSASocket", 100),
            ok(20, "process_start"),
            ok(20, "WSAStartup"),
            ok(10, "WSADuplicateSocket", None, handle=100, target_pid=20),
            ok(20, "WSASocketFromInfo", 200),
        ],
    )
    assert check(path).verdict == "conforms"


def test_a_started_process_begins_uninitialised(tmp_path):
    path = write(tmp_path, [ok(20, "process_start"), ok(20, "WSASocket", 100)])
    result = check(path)
    assert result.verdict == "violates" and result.event_index == 1


def test_a_duplicate_for_a_process_not_started_yet_fails(tmp_path):
    path = write(
        tmp_path,
        [
            ok(10, "WSASocket", 100),
            err(10, "WSADuplicateSocket", "WSAEINVAL", handle=100, target_pid=20),
            ok(20, "process_start"),
        ],
    )
    assert check(path).verdict == "conforms"


# -- checking is not exploring ------------------------------------------------------------


def test_wsastartup_nests_as_deeply_as_the_trace_does(tmp_path):
    # max_startups bounded exploration at 2 and used to decide real traces.
    events = [ok(10, "WSAStartup") for _ in range(5)]
    events += [ok(10, "WSACleanup") for _ in range(4)]
    events += [ok(10, "WSASocket", 100), ok(10, "WSACleanup")]
    events += [err(10, "WSASocket", "WSANOTINITIALISED")]
    assert check(write(tmp_path, events)).verdict == "conforms"


def test_a_channel_holds_as_many_messages_as_the_trace_sends(tmp_path):
    sends = [
        {"pid": 10, "call": "ipc_send", "result": "ok", "args": {"to": 20, "message": m}}
        for m in [{"kind": "pid_request"}] * 6
    ]
    receives = [
        {"pid": 20, "call": "ipc_recv", "result": "ok", "args": {"sender": 10}} for _ in sends
    ]
    assert check(write(tmp_path, sends + receives)).verdict == "conforms"


# -- resource errors ----------------------------------------------------------------------


@pytest.mark.parametrize("error", ["WSAEMFILE", "WSAENOBUFS"])
def test_a_call_that_allocates_may_run_out_of_resources(tmp_path, error):
    path = write(
        tmp_path,
        [
            err(10, "WSASocket", error),
            ok(10, "WSASocket", 100),
            err(10, "WSADuplicateSocket", error, handle=100, target_pid=20),
            ok(10, "WSADuplicateSocket", None, handle=100, target_pid=20),
            err(20, "WSASocketFromInfo", error),
            # the info was not consumed by the failure
            ok(20, "WSASocketFromInfo", 200),
        ],
    )
    assert check(path).verdict == "conforms"


def test_a_resource_error_on_a_call_that_allocates_nothing_is_a_violation(tmp_path):
    # closesocket's page lists neither WSAEMFILE nor WSAENOBUFS: R50 alone is broken.
    path = write(tmp_path, [*HANDOFF, err(20, "closesocket", "WSAEMFILE", handle=200)])
    result = check(path)
    assert (result.verdict, result.rule_ids, result.event_index) == ("violates", ["R50"], 3)


# -- failures whose error was never read --------------------------------------------------


def test_an_unread_failure_matches_a_failure_the_protocol_derives(tmp_path):
    # PostgreSQL never reads the error of its backends' closes.
    path = write(
        tmp_path,
        [
            *HANDOFF,
            ok(20, "closesocket", handle=200),
            failed(20, "closesocket", handle=200),
        ],
    )
    assert check(path).verdict == "conforms"


def test_an_unread_failure_is_not_explained_by_the_environment(tmp_path):
    # The first use of an info succeeds; a resource error would explain the failure,
    # and so would hide any deviation, so an unread failure may not stand for one.
    path = write(tmp_path, [*HANDOFF[:2], use(failed(20, "WSASocketFromInfo"))])
    result = check(path)
    assert (result.verdict, result.event_index) == ("violates", 2)
    assert "R1" in result.rule_ids and "ENV" not in result.rule_ids


def test_a_failed_event_may_not_name_an_error(tmp_path):
    from wsshare.conformance.trace import TraceError, validate_file

    path = write(tmp_path, [failed(10, "WSASocket") | {"error": "WSAEINVAL"}])
    with pytest.raises(TraceError, match="'failed', with no error"):
        validate_file(path)


# -- arguments the recorder could not see --------------------------------------------------


def test_an_unobserved_fionbio_mode_may_be_either(tmp_path):
    # ioctlsocket's mode is behind a pointer in a relay log: the later WSAEWOULDBLOCK
    # says it was nonblocking, and the checker may not have guessed blocking.
    connected = [
        ok(10, "WSASocket", 100),
        ok(10, "connect", handle=100),
        ok(10, "ioctlsocket_fionbio", handle=100, nonblocking=None),
    ]
    would_block = write(tmp_path, [*connected, err(10, "recv", "WSAEWOULDBLOCK", handle=100)])
    assert check(would_block).verdict == "conforms"
    pending = {"pid": 10, "call": "recv", "result": "pending", "args": {"handle": 100}}
    assert check(write(tmp_path, [*connected, pending], "b.jsonl")).verdict == "conforms"


def test_only_a_finite_argument_may_be_unobserved(tmp_path):
    from wsshare.conformance.trace import TraceError, validate_file

    path = write(tmp_path, [ok(10, "closesocket", handle=None)])
    with pytest.raises(TraceError, match=r"args\.handle"):
        validate_file(path)


# -- which rules a violation breaks -------------------------------------------------------


def test_a_code_the_page_does_not_list_breaks_the_list(tmp_path):
    # WSASocket's page has no WSAECONNRESET: R48, not the rules of the success the
    # model expected (R20, R36).
    path = write(tmp_path, [err(10, "WSASocket", "WSAECONNRESET")])
    result = check(path)
    assert (result.verdict, result.rule_ids) == ("violates", ["R48"])


def test_a_wrong_code_where_a_failure_was_due_breaks_the_list_and_the_failure(tmp_path):
    reuse = write(tmp_path, [*HANDOFF, use(err(20, "WSASocketFromInfo", "WSAENOTSOCK"))])
    assert check(reuse).rule_ids == ["R2", "R3", "R48"]


def test_a_wrong_documented_code_breaks_the_rules_of_the_failure_due(tmp_path):
    reuse = write(tmp_path, [*HANDOFF, use(err(20, "WSASocketFromInfo", "WSAEMFILE"))])
    assert check(reuse).verdict == "conforms"  # running out of resources is allowed
    reuse = write(tmp_path, [*HANDOFF, use(err(20, "WSASocketFromInfo", "WSAEFAULT"))], "b.jsonl")
    assert check(reuse).rule_ids == ["R2", "R3"]


def test_an_spi_step_the_plan_has_no_place_for_cites_that_functions_rules(tmp_path):
    # WPUCloseSocketHandle on a handle WPUModifyIFSHandle made: R24 (it removes only
    # handles WPUCreateSocketHandle made), where the checker used to cite no rule.
    catalog = [{"id": 0, "name": "msafd-tcp"}]

    def spi(function):
        return {"pid": 10, "call": "spi_step", "result": "ok", "args": {"function": function}}

    events = [
        {"pid": 10, "phase": "call", "call": "WSASocket"},
        spi("WSPSocket"),
        spi("WPUModifyIFSHandle") | {"value": 100},
        {"pid": 10, "phase": "return", "call": "WSASocket", "result": "ok", "value": 100},
        {"pid": 10, "phase": "call", "call": "closesocket", "args": {"handle": 100}},
        spi("WSPCloseSocket"),
        spi("WPUCloseSocketHandle"),
    ]
    for e in events:
        if e["call"] == "spi_step":
            e["args"]["provider"] = 0
    path = write(tmp_path, events, level="spi", catalog=catalog)
    result = check(path)
    assert (result.verdict, result.rule_ids, result.event_index) == ("violates", ["R24"], 6)


# -- Wine's answers as knobs ----------------------------------------------------------------


def test_wine_answers_a_send_that_was_never_connected_with_a_reset(tmp_path):
    path = write(tmp_path, [ok(10, "WSASocket", 100), err(10, "send", "WSAECONNRESET", handle=100)])
    documented = check(path)
    assert (documented.verdict, documented.rule_ids) == ("violates", ["R28"])
    assert check(path, "wine-8.0").verdict == "conforms"


def test_wine_makes_something_of_bytes_that_are_no_info(tmp_path):
    # Without its marker Wine makes a fresh socket; with it, returns the value the bytes
    # carry, here one that names nothing (semantics.md B.1).
    fresh = write(tmp_path, [use(ok(20, "WSASocketFromInfo", 200))])
    carried = write(tmp_path, [use(ok(20, "WSASocketFromInfo", 4444))], "b.jsonl")
    for path in (fresh, carried):
        documented = check(path)
        assert (documented.verdict, documented.rule_ids) == ("violates", ["R48"])
        assert check(path, "wine-8.0").verdict == "conforms"


# -- profiles from files ---------------------------------------------------------------------


def test_a_provider_of_ones_own_is_a_profile_file(run_wsshare, tmp_path):
    template = run_wsshare("profiles", "--template", "documented")
    assert template.returncode == 0, template.stderr
    data = json.loads(template.stdout)
    data |= {"name": "no-sharing", "sharing_supported": False}
    profile = tmp_path / "no-sharing.json"
    profile.write_text(json.dumps(data))
    # R12: a stack without sharing fails every duplicate with WSASYSCALLFAILURE.
    trace = write(
        tmp_path,
        [
            ok(10, "WSASocket", 100),
            err(10, "WSADuplicateSocket", "WSASYSCALLFAILURE", handle=100, target_pid=20),
        ],
    )
    proc = run_wsshare("check", "--profile", str(profile), trace)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "[no-sharing]: conforms" in proc.stdout
    assert run_wsshare("check", trace).returncode == 1  # documented shares


def test_a_profile_file_must_set_every_knob(run_wsshare, tmp_path):
    profile = tmp_path / "mine.json"
    profile.write_text(json.dumps({"name": "mine", "sharing_supported": False}))
    trace = write(tmp_path, [ok(10, "WSASocket", 100)])
    proc = run_wsshare("check", "--profile", str(profile), trace)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "every knob must be set; missing: " in proc.stderr
    assert "wsshare profiles --template documented" in proc.stderr


def test_a_profile_file_may_not_take_a_named_profiles_name(run_wsshare, tmp_path):
    data = json.loads(run_wsshare("profiles", "--template", "wine-8.0").stdout)
    profile = tmp_path / "wine.json"
    profile.write_text(json.dumps(data | {"name": "wine-8.0"}))
    proc = run_wsshare("check", "--profile", str(profile), write(tmp_path, []))
    assert proc.returncode == 2 and "is a named profile" in proc.stderr


# -- --profile all -----------------------------------------------------------------------------


def test_profile_all_tries_the_profiles_of_the_traces_platform(run_wsshare, tmp_path):
    winsock = write(tmp_path, [ok(10, "WSASocket", 100)], "winsock.jsonl")
    linux = write(tmp_path, [ok(10, "socket", 3), ok(10, "close", handle=3)], "linux.jsonl")
    proc = run_wsshare("check", "--profile", "all", "--json", winsock, linux)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    tried = {}
    for r in json.loads(proc.stdout)["results"]:
        tried.setdefault(r["path"], set()).add(r["profile"])
    winsock_profiles = {"documented", "windows", "wine-8.0", "reactos"}
    assert tried[winsock] == winsock_profiles
    assert tried[linux] and not tried[linux] & winsock_profiles


def test_profile_all_fails_when_no_profile_accepts_a_trace(run_wsshare, tmp_path):
    # closesocket's page does not list WSAEMFILE: no profile accepts it.
    path = write(
        tmp_path, [ok(10, "WSASocket", 100), err(10, "closesocket", "WSAEMFILE", handle=100)]
    )
    proc = run_wsshare("check", "--profile", "all", path)
    assert proc.returncode == 1
    assert "accepted by no profile" in proc.stdout
    assert proc.stdout.strip().endswith("0 trace(s) accepted by some profile, 1 by none")

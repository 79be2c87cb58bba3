"""The `import` and `record` commands: traces from logs of unmodified programs, and from
programs run under a recorder. Each importer or recorder registers its own subcommand
here; the work lives in its module."""

from __future__ import annotations

from typing import Any


def register_import_and_record(sub: Any) -> None:
    p = sub.add_parser("import", help="turn a log of an unmodified program into a trace")
    importers = p.add_subparsers(dest="importer", required=True, metavar="FORMAT")
    _register_wine_relay(importers)
    _register_strace(importers)

    p = sub.add_parser("record", help="run a program under a recorder and write its trace")
    recorders = p.add_subparsers(dest="recorder", required=True, metavar="PLATFORM")
    _register_record_linux(recorders)


def _register_wine_relay(importers: Any) -> None:
    """`wsshare import wine-relay LOG`: a WINEDEBUG=+pid,+relay log (README: "Traces
    from unmodified programs")."""
    import argparse
    import sys

    from ..importers.wine_relay import HOW_TO_RECORD, import_log

    p = importers.add_parser(
        "wine-relay",
        help="a WINEDEBUG=+pid,+relay log of a Winsock program run under Wine",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=(
            "Turn a Wine relay log into an API-level trace (one event per modelled ws2_32 "
            "call, with its pid, thread, handle values and result; errors from the "
            "program's WSAGetLastError calls).\n\n"
            "Info identity: the WSAPROTOCOL_INFO bytes are behind a pointer, so each "
            "successful WSADuplicateSocket is named relay:PID:N and a WSASocket with an info "
            "carries no digest: the checker tries every info minted so far. Socket "
            "identities are not visible; FIONBIO's mode is behind a pointer, so it is "
            "unobserved (the checker tries both); options are left out. A failed call "
            "whose error the program never read is kept as 'failed'; a call with no Ret "
            "line is a 'call' event with no return. The summary on standard error counts "
            "every ws2_32 call left out, by function and reason (not modelled, the peer's "
            "end of stream, an overlapped WSARecv/WSASend still pending).\n\n" + HOW_TO_RECORD + "."
        ),
    )
    p.add_argument("log", metavar="LOG", help="the relay log (Wine's stderr)")
    p.add_argument(
        "-o", "--output", metavar="TRACE", help="where to write the trace (default: LOG.jsonl)"
    )

    def run(args: argparse.Namespace) -> int:
        out = args.output or f"{args.log}.jsonl"
        summary = import_log(args.log, out)
        print(f"{out}: {summary.line()}", file=sys.stderr)
        return 0

    p.set_defaults(run=run)


def _register_strace(importers: Any) -> None:
    """`wsshare import strace LOG`: a log of strace -f --decode-fds=path,pidfd (README: "Linux")."""

    def run(args: Any) -> int:
        from ..importers.strace import run_import

        return run_import(args)

    p = importers.add_parser(
        "strace",
        help="a log of strace -f -ttt --decode-fds=path,pidfd (Linux descriptor passing)",
        description="Replays each process's descriptor table from a log of `strace -f -ttt "
        "-s 256 --decode-fds=path,pidfd -o LOG -- CMD` and writes a trace of the calls "
        "that touch descriptors whose origin the log shows (sockets, pipes, pidfds). "
        "The summary goes to standard error.",
    )
    p.add_argument("log", help="the strace log")
    p.add_argument(
        "-o", "--output", default="-", help="the trace to write (default: standard output)"
    )
    p.add_argument(
        "--root-pid",
        type=int,
        default=None,
        help="pid of the traced command, for logs whose first lines carry no pid "
        "(strace writing to standard error)",
    )
    p.add_argument(
        "--platform", default="Linux", help="the header's platform, e.g. 'Linux 6.1 x86_64'"
    )
    p.add_argument(
        "--recorder",
        default="strace via wsshare import strace",
        help="the header's recorder, e.g. 'strace 6.1 via wsshare import strace'",
    )
    p.set_defaults(run=run)


def _register_record_linux(recorders: Any) -> None:
    """`wsshare record linux -o TRACE -- CMD ...`: run CMD under strace (README: "Linux")."""

    def run(args: Any) -> int:
        from ..drivers.linux.record import run_record

        return run_record(args)

    p = recorders.add_parser(
        "linux",
        help="run a command under strace and write its trace (Linux descriptor passing)",
        description="Runs CMD under `strace -f` with the syscalls of descriptor passing, "
        "imports the log (as `wsshare import strace` does) and writes the trace. Needs "
        "strace (apt-get install strace).",
    )
    p.add_argument("-o", "--output", required=True, help="the trace to write")
    p.add_argument("--keep-log", metavar="FILE", help="also keep strace's log in FILE")
    p.add_argument(
        "--timeout",
        type=float,
        default=None,
        help="seconds before the command is stopped, with every process strace traces; "
        "the trace then holds what was recorded until then (default: none)",
    )
    p.add_argument("cmd", nargs="+", metavar="CMD", help="the command, after --")
    p.set_defaults(run=run)

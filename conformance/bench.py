"""Benchmarks, as a command users can run on their own machines: `wsshare bench check`.

The check benchmark writes long traces that conform to the documented profile (a source
hands one connection after another to a worker, which does I/O on each and closes it)
and checks each in a fresh process, so the figures are the checker's alone: events per
second (writing the trace is not timed) and peak resident memory.

Rungs: fully observed traces (peer data, socket identities and info digests all
recorded) of the requested sizes, and one partially observed rung (no peer events, no
identities, no digests), where the checker must let unseen data in and try every info.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from .trace import TraceHeader, TraceWriter

Observed = Literal["full", "partial"]
SOURCE, WORKER = 1100, 1200
HANDLE = 0x104


def write_workload(
    path: Path, events: int, observed: Observed = "full", io_rounds: int = 20
) -> int:
    """Write a conforming trace of at least `events` events; the count written."""
    full = observed == "full"
    header = TraceHeader(
        implementation="model",
        platform="synthetic workload",
        recorder="wsshare bench",
        profile_hint="documented",
        processes=[SOURCE, WORKER],
        unobserved=[] if full else ["peer", "ipc"],
    )
    written = 0
    with TraceWriter(path, header) as w:

        def emit(**fields: Any) -> None:
            nonlocal written
            if not full:
                fields.pop("socket", None)
                fields.pop("info_digest", None)
            w.event(tid=1, **fields)
            written += 1

        emit(pid=SOURCE, call="WSAStartup", result="ok")
        emit(pid=WORKER, call="WSAStartup", result="ok")
        cycle = 0
        while written < events:
            sock, digest = f"s{cycle}", f"{cycle:016x}"
            h = {"handle": HANDLE}
            emit(pid=SOURCE, call="WSASocket", result="ok", value=HANDLE, socket=sock)
            emit(pid=SOURCE, call="connect", args=h, result="ok", socket=sock)
            emit(pid=SOURCE, call="setsockopt", args=h | {"value": "set"}, result="ok", socket=sock)
            emit(
                pid=SOURCE,
                call="WSADuplicateSocket",
                args=h | {"target_pid": WORKER},
                result="ok",
                socket=sock,
                info_digest=digest,
            )
            if full:
                emit(
                    pid=SOURCE,
                    call="ipc_send",
                    args={"to": WORKER, "message": {"kind": "info"}},
                    result="ok",
                    info_digest=digest,
                )
                emit(
                    pid=WORKER,
                    call="ipc_recv",
                    args={"sender": SOURCE},
                    result="ok",
                    value={"kind": "info"},
                    info_digest=digest,
                )
            emit(
                pid=WORKER,
                call="WSASocketFromInfo",
                result="ok",
                value=HANDLE,
                socket=sock,
                info_digest=digest,
            )
            emit(pid=SOURCE, call="closesocket", args=h, result="ok", socket=sock)
            emit(pid=WORKER, call="getsockopt", args=h, result="ok", value="set", socket=sock)
            for _ in range(io_rounds):
                if full:
                    emit(pid=None, call="peer_send", result="ok", socket=sock)
                emit(pid=WORKER, call="recv", args=h, result="ok", value="data", socket=sock)
                emit(pid=WORKER, call="send", args=h, result="ok", socket=sock)
            emit(pid=WORKER, call="WSAEventSelect", args=h, result="ok", socket=sock)
            emit(
                pid=WORKER, call="recv", args=h, result="error", error="WSAEWOULDBLOCK", socket=sock
            )
            emit(
                pid=WORKER,
                call="WSAEventSelect",
                args=h | {"mask_nonzero": False},
                result="ok",
                socket=sock,
            )
            emit(
                pid=WORKER,
                call="ioctlsocket_fionbio",
                args=h | {"nonblocking": False},
                result="ok",
                socket=sock,
            )
            emit(pid=WORKER, call="closesocket", args=h, result="ok", socket=sock)
            if full:
                emit(pid=None, call="peer_sees_close", result="ok", socket=sock)
            cycle += 1
    return written


@dataclass
class Rung:
    name: str
    events: int
    seconds: float
    events_per_second: float
    peak_rss_mib: float
    verdict: str


def measure(path: str) -> dict[str, Any]:
    """Check one trace in this process and report time and peak memory (run it in a
    fresh process, so the peak is the check's alone)."""
    from .checking.engine import check_file

    start = time.perf_counter()
    result = check_file(path)
    seconds = time.perf_counter() - start
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "events": result.events,
        "seconds": seconds,
        "verdict": result.verdict,
        "peak_rss_mib": peak_kib / 1024,
    }


def run_rung(name: str, events: int, observed: Observed, folder: Path) -> Rung:
    path = folder / f"{name}.jsonl"
    write_workload(path, events, observed)
    proc = subprocess.run(
        [sys.executable, "-m", "wsshare.conformance.bench", str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    data = json.loads(proc.stdout)
    path.unlink()
    return Rung(
        name,
        data["events"],
        data["seconds"],
        data["events"] / max(data["seconds"], 1e-9),
        data["peak_rss_mib"],
        data["verdict"],
    )


def check_ladder(sizes: list[int], partial: int | None, on_rung: Any = None) -> list[Rung]:
    """Run the fully observed rungs of `sizes` and, if `partial`, a partially observed one
    of that size; `on_rung(rung)` is called as each finishes."""
    plan: list[tuple[str, int, Observed]] = [(f"full-{n}", n, "full") for n in sizes]
    if partial:
        plan.append((f"partial-{partial}", partial, "partial"))
    rungs = []
    with tempfile.TemporaryDirectory(prefix="wsshare-bench-") as tmp:
        for name, events, observed in plan:
            rung = run_rung(name, events, observed, Path(tmp))
            if on_rung is not None:
                on_rung(rung)
            rungs.append(rung)
    return rungs


if __name__ == "__main__":
    # The measuring child of run_rung: check one trace, print the figures as JSON.
    print(json.dumps(measure(sys.argv[1])))

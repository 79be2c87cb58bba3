"""wsshare.conformance: everything that meets the outside world, built on wsshare.model.

The public API, for checking traces from Python:

    from wsshare.conformance import check_file
    result = check_file("traces/synthetic/c2.jsonl", "documented")
    if result.violation is not None:
        print(result.violation.to_text())   # in the trace's own pids and handles

- `check_file(path, profile=None)`: one trace file, streamed; `profile` is a Profile, a
  name, a profile file (.json), or None for the one the trace's header hints at;
- `check_trace(header, events, profile=None)`: a trace in memory;
- `TraceCheck`: the same loop an event at a time, for checking a run as it happens
  (with a `PidMap` of the run's processes);
- `CheckResult` (`verdict`, `violation`, `to_text()`, `to_data()`), `Violation`;
- `load_config`, `load_profile`: named configurations and profiles, or files;
- `TraceReader`, `TraceWriter`, `TraceHeader`, `TraceEvent`, `TraceError`: the trace
  format (JSON Lines, documented in traces/README.md).

Exploring a configuration is the model's job: `wsshare.model.explore` and
`wsshare.model.check_model`.
"""

from .checking.engine import CheckResult, TraceCheck, check_file, check_trace
from .checking.explain import Violation
from .checking.translate import PidMap
from .loading import InputError, load_config, load_profile
from .trace import TraceError, TraceEvent, TraceHeader, TraceReader, TraceWriter

__all__ = [
    "CheckResult",
    "InputError",
    "PidMap",
    "TraceCheck",
    "TraceError",
    "TraceEvent",
    "TraceHeader",
    "TraceReader",
    "TraceWriter",
    "Violation",
    "check_file",
    "check_trace",
    "load_config",
    "load_profile",
]

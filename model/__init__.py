"""wsshare.model: the formal model of Winsock socket sharing. Pure: no I/O.

The small public API:

- `Config`, `Profile`, `DOCUMENTED`, `PROFILES`, `get_profile`: what to model;
- `Semantics(config, profile)`: `initial_worlds()`, `enabled(world)`,
  `outcomes(world, action)`, `successors(world)`; `make_semantics(config, profile)`
  picks `LinuxSemantics` (model/linux.py) for the Linux profiles;
- the state objects (`World`, `Process`, `Descriptor`, ...) and the action types;
- `RULES`, `WORLD_INVARIANTS`, `EDGE_INVARIANTS`, `PROPERTIES`;
- `explore(semantics, ...)`: the search the command line runs (symmetry, every
  invariant, capped at DEFAULT_MAX_STATES); `check_model(semantics)` adds the release
  check and the witnesses, and its report's `assert_ok()` fails a test on anything
  wrong; `reference_explore` is the plain search the engine is checked against.
"""

from .actions import ACTION_TYPES, Action, Err, Ok, Pending, Result, describe, describe_result
from .check import DEFAULT_MAX_STATES, ModelReport, check_model, explore
from .config import ALL_FAMILIES, Config
from .errors import Errno, ErrorCode, WsaError, error_from_name
from .invariants import EDGE_INVARIANTS, PROPERTIES, WORLD_INVARIANTS, InvariantViolation
from .linux import LinuxSemantics, make_semantics
from .profiles import DOCUMENTED, PROFILES, Profile, get_profile
from .reference import Exploration, Found, reference_explore
from .rules import CATALOGUE_RULES, LINUX_RULES, RULES, RULES_BY_ID, Rule
from .semantics import NAMES_NOTHING, Outcome, Semantics
from .state import NONEXISTENT_PID, World

__all__ = [
    "ACTION_TYPES",
    "ALL_FAMILIES",
    "CATALOGUE_RULES",
    "DEFAULT_MAX_STATES",
    "DOCUMENTED",
    "EDGE_INVARIANTS",
    "LINUX_RULES",
    "NAMES_NOTHING",
    "NONEXISTENT_PID",
    "PROFILES",
    "PROPERTIES",
    "RULES",
    "RULES_BY_ID",
    "WORLD_INVARIANTS",
    "Action",
    "Config",
    "Err",
    "Errno",
    "ErrorCode",
    "Exploration",
    "Found",
    "InvariantViolation",
    "LinuxSemantics",
    "ModelReport",
    "Ok",
    "Outcome",
    "Pending",
    "Profile",
    "Result",
    "Rule",
    "Semantics",
    "World",
    "WsaError",
    "check_model",
    "describe",
    "describe_result",
    "error_from_name",
    "explore",
    "get_profile",
    "make_semantics",
    "reference_explore",
]

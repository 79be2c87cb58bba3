"""wsshare.model: the formal model of Winsock socket sharing. Pure: no I/O.

The small public API:

- `Config`, `Profile`, `DOCUMENTED`, `PROFILES`, `get_profile`: what to model;
- `Semantics(config, profile)`: `initial_worlds()`, `enabled(world)`,
  `outcomes(world, action)`, `successors(world)`; `make_semantics(config, profile)`
  picks `LinuxSemantics` (model/linux.py) for the Linux profiles;
- the state objects (`World`, `Process`, `Descriptor`, ...) and the action types;
- `RULES`, `WORLD_INVARIANTS`, `EDGE_INVARIANTS`, `PROPERTIES`;
- `explore(semantics)`: breadth-first search with invariant checks.
"""

from .actions import ACTION_TYPES, Action, Err, Ok, Pending, Result, describe, describe_result
from .config import ALL_FAMILIES, Config
from .errors import Errno, ErrorCode, WsaError, error_from_name
from .explore import Exploration, Found, explore
from .invariants import EDGE_INVARIANTS, PROPERTIES, WORLD_INVARIANTS, Violation
from .linux import LinuxSemantics, make_semantics
from .profiles import DOCUMENTED, PROFILES, Profile, get_profile
from .rules import CATALOGUE_RULES, LINUX_RULES, RULES, RULES_BY_ID, Rule
from .semantics import NAMES_NOTHING, Outcome, Semantics
from .state import NONEXISTENT_PID, World

__all__ = [
    "ACTION_TYPES",
    "ALL_FAMILIES",
    "CATALOGUE_RULES",
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
    "LinuxSemantics",
    "Ok",
    "Outcome",
    "Pending",
    "Profile",
    "Result",
    "Rule",
    "Semantics",
    "Violation",
    "World",
    "WsaError",
    "describe",
    "describe_result",
    "error_from_name",
    "explore",
    "get_profile",
    "make_semantics",
]

"""wsshare.model: the formal model of Winsock socket sharing. Pure: no I/O.

The small public API:

- `Config`, `Profile`, `DOCUMENTED`, `PROFILES`, `get_profile`: what to model;
- `Semantics(config, profile)`: `initial_worlds()`, `enabled(world)`,
  `outcomes(world, action)`, `successors(world)`;
- the state objects (`World`, `Process`, `Descriptor`, ...) and the action types;
- `RULES`, `WORLD_INVARIANTS`, `EDGE_INVARIANTS`, `PROPERTIES`;
- `explore(semantics)`: breadth-first search with invariant checks.
"""

from .actions import ACTION_TYPES, Action, Err, Ok, Pending, Result, describe, describe_result
from .config import ALL_FAMILIES, Config
from .errors import WsaError
from .explore import Exploration, Found, explore
from .invariants import EDGE_INVARIANTS, PROPERTIES, WORLD_INVARIANTS, Violation
from .profiles import DOCUMENTED, PROFILES, Profile, get_profile
from .rules import RULES, Rule
from .semantics import NAMES_NOTHING, Outcome, Semantics
from .state import NONEXISTENT_PID, World

__all__ = [
    "ACTION_TYPES",
    "ALL_FAMILIES",
    "DOCUMENTED",
    "EDGE_INVARIANTS",
    "NAMES_NOTHING",
    "NONEXISTENT_PID",
    "PROFILES",
    "PROPERTIES",
    "RULES",
    "WORLD_INVARIANTS",
    "Action",
    "Config",
    "Err",
    "Exploration",
    "Found",
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
    "explore",
    "get_profile",
]

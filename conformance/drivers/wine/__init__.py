"""Wine: real Winsock traces.

`harness` builds the agent (agent.c, MinGW), runs one agent per modelled process under
Wine and writes what it observed as wsshare traces; `scenarios` is the catalogue of runs
recorded into traces/real/wine, with the verdicts they are expected to get.
"""

from .harness import INSTALL_HINT, AgentError, Recording, WineEnv, WineUnavailable

__all__ = ["INSTALL_HINT", "AgentError", "Recording", "WineEnv", "WineUnavailable"]

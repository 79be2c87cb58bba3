"""Drivers: implementations under test behind one protocol (see `base`).

The stateful machine (`wsshare.conformance.stateful.machine`) runs against any of them. This
package holds the protocol and the model driver; the Wine and Linux drivers join it.
"""

from .base import Call, Chooser, Driver, Session, first
from .model import ModelDriver, model_driver, mutant_driver

__all__ = [
    "Call",
    "Chooser",
    "Driver",
    "ModelDriver",
    "Session",
    "first",
    "model_driver",
    "mutant_driver",
]

"""Profiles: one knob per open question, so every implementation is data, not a fork.

The documents, Windows as observed, Wine and ReactOS disagree where the Winsock pages are
silent (semantics.md section D). A Profile answers each such question; the semantics
reads the answers and never the profile's name. Where a knob allows several outcomes the
model is nondeterministic and offers every one of them.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from .state import Frozen

ReuseOutcome = Literal["einval", "same_handle"]
WrongProcessOutcome = Literal["einval", "foreign_handle"]


class Profile(Frozen):
    """Answers to the open questions. Field docs name the question (D*) or rule (R*)."""

    name: str
    description: str = ""

    # R12: a stack may not support sharing at all (Windows CE reports WSASYSCALLFAILURE).
    sharing_supported: bool = True
    # R6: WSADuplicateSocket rejects a pid that names no process with WSAEINVAL.
    validate_target_pid: bool = True
    # D6: a target that has exited (its process object still around). "einval": treated
    # like a missing process; "emfile": the handle cannot be duplicated into an exiting
    # process (WCF's observation on Windows); "dead_info": the call succeeds and yields an
    # info that names no usable handle (Wine).
    duplicate_to_exited: Literal["einval", "emfile", "dead_info"] = "einval"
    # D3/R3: what a second WSASocket with a consumed info does while its target lives.
    # "einval": the documented failure; "same_handle": the handle value of the first use is
    # returned again (an alias, not a new reference).
    reuse_outcomes: frozenset[ReuseOutcome] = Field(default=frozenset({"einval"}))
    # D1/R4: WSASocket with an info in a process other than its target. "einval": fails;
    # "foreign_handle": "succeeds" with a handle value naming no socket (Wine).
    wrong_process_outcomes: frozenset[WrongProcessOutcome] = Field(default=frozenset({"einval"}))
    # D2: whether a WSASocket that fails after finding the info consumes it.
    failed_use_consumes_info: bool = False
    # D4/D5/R40: an unused info pins the underlying socket (a handle pre-placed in the
    # target) until the target materialises it or exits.
    info_pins_socket: bool = True
    # D9: an event registration made through a descriptor that is closed while other
    # descriptors remain: cancelled with it, or surviving on the socket.
    registration_on_owner_close: Literal["cancelled", "survives"] = "cancelled"
    # R39/D10: WSACleanup of the last startup closes the process's descriptors.
    cleanup_closes_descriptors: bool = True
    # Environmental failures (WSAENETDOWN, WSAENOBUFS, WSAEMFILE) as extra outcomes that
    # change no state; off by default so that they do not swamp exploration.
    environmental_errors: bool = False

    def knobs(self) -> dict[str, object]:
        """The knob values, without the name and description."""
        return self.model_dump(mode="json", exclude={"name", "description"})


DOCUMENTED = Profile(
    name="documented",
    description=(
        "Microsoft's Winsock pages; where they are silent, the answers semantics.md "
        "section D recommends."
    ),
)

PROFILES: dict[str, Profile] = {DOCUMENTED.name: DOCUMENTED}


def get_profile(name: str) -> Profile:
    """The named profile; ValueError lists the known names when there is none."""
    try:
        return PROFILES[name]
    except KeyError:
        known = ", ".join(sorted(PROFILES))
        raise ValueError(f"unknown profile {name!r}; known profiles: {known}") from None

"""The model as an implementation under test, and its mutants.

`ModelDriver` wraps a `Semantics` (the reference, or a mutant from
`wsshare.conformance.fixtures.mutants`) behind the Driver protocol. It keeps one model world, turns
each observed-value call into a model action, lets the semantics answer, and reports the
answer as a recorder would: the same mapping to realistic values that the synthetic corpus
uses (pid 1100, handle 0x104, `sock-0`, a digest of the info bytes). The machine never
sees the world; a coverage measurement may, through `on_step`.

Under a configuration of `spi` granularity the driver records at spi level: a call that
reaches a provider returns its begin event, and `CONTINUE` runs its next SPI step or its
return (see `base`). The header lists the catalog as WSAEnumProtocols would.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import TypeAdapter, ValidationError

from wsshare.model import (
    DOCUMENTED,
    NAMES_NOTHING,
    NONEXISTENT_PID,
    Config,
    Ok,
    Profile,
    Semantics,
    World,
)
from wsshare.model.actions import Action, CallReturn, SpiStep
from wsshare.model.roles import Role
from wsshare.model.semantics import Outcome
from wsshare.model.state import DEFAULT_CATALOG, CatalogEntry

from ..checking.translate import Unknown, model_arguments
from ..fixtures.corpus import TraceStep, event_fields, info_digest, observed_pid, observed_socket
from ..fixtures.mutants import Mutant
from ..trace import TraceEvent, TraceHeader
from .base import CONTINUE, Call, Chooser, Session

_ACTION: TypeAdapter[Action] = TypeAdapter(Action)

# Called with (world before, action, outcome taken) after every step the driver makes.
StepHook = Callable[[World, Action, Outcome], None]

# The thread a blocking recv runs on: one per handle, as a live harness would use, so the
# checker can pair each call with its own return.
_MAIN_THREAD = 1


def _recv_thread(slot: int) -> int:
    return 0x10 + slot


def advertised(catalog: tuple[CatalogEntry, ...]) -> list[CatalogEntry]:
    """The catalog as a recorder lists it: what WSAEnumProtocols shows of each entry. An
    entry that advertises XP1_IFS_HANDLES promises IFS handles (R25), so it is listed as
    an IFS provider whatever it really does; its SPI steps then show whether it keeps the
    promise (a provider that allocates with WPUCreateSocketHandle does not)."""
    return [e.model_copy(update={"handles": "ifs"}) if e.xp1_ifs_handles else e for e in catalog]


class ModelDriver:
    """Drives one run of `semantics` (the reference or a mutant) through observed values.

    `name` goes into the trace header's `implementation`; `on_step` sees every model step
    taken (for coverage), after the fact.
    """

    def __init__(
        self, semantics: Semantics, name: str = "model", on_step: StepHook | None = None
    ) -> None:
        self.semantics = semantics
        self.name = name
        self.on_step = on_step
        self.world: World | None = None
        self._seq = 0
        self._pids: dict[int, int] = {}  # observed -> model
        self._infos: dict[str, int] = {}  # digest -> model info id

    # -- the protocol -------------------------------------------------------------------

    def start(self) -> Session:
        worlds = self.semantics.initial_worlds()
        # The contract promises one initial world; take the first if a variant has more.
        self.world = worlds[0]
        self._seq = 0
        self._infos = {}
        self._pids = {observed_pid(p.pid): p.pid for p in self.world.processes}
        pids = tuple(observed_pid(p.pid) for p in self.world.processes)
        config = self.semantics.config
        catalog = self.world.catalog
        header = TraceHeader(
            implementation=self.name,
            platform="wsshare model",
            level=getattr(config, "granularity", "api"),
            recorder="wsshare stateful",
            profile_hint=self.semantics.profile.name,
            processes=list(pids),
            catalog=advertised(catalog) if catalog != DEFAULT_CATALOG else None,
        )
        return Session(
            pids=pids,
            not_started=frozenset(
                observed_pid(p.pid) for p in self.world.processes if p.status == "not_started"
            ),
            uninitialised=frozenset(
                observed_pid(p.pid)
                for p in self.world.processes
                if p.status == "running" and p.startups == 0
            ),
            header=header,
        )

    def run(self, call: Call, choose: Chooser) -> TraceEvent | None:
        if self.world is None:
            raise RuntimeError(f"{type(self).__name__}.run before start()")
        action = self.action(call)
        if action is None:
            return None
        before = self.world
        found = self.semantics.outcomes(before, action)
        if not found:
            return None
        outcome = found[choose(len(found)) % len(found)]
        self.world = outcome.world
        if self.on_step is not None:
            self.on_step(before, action, outcome)
        return self._render(call, action, before, outcome)

    def _render(self, call: Call, action: Action, before: World, outcome: Outcome) -> TraceEvent:
        """The event an observer of this step records (the Winsock vocabulary here)."""
        return self._event(TraceStep(action, outcome.result, before, outcome.world))

    def stop(self) -> None:
        self.world = None

    # -- observed values to model values ------------------------------------------------

    def action(self, call: Call) -> Action | None:
        """The model action `call` stands for in the current world, or None when its
        arguments cannot name anything the model has (a pid outside the session)."""
        assert self.world is not None
        if call.call == CONTINUE:
            return self._continue(call)
        data: dict[str, Any] = {"call": call.call}
        if call.pid is not None:
            pid = self._pids.get(call.pid)
            if pid is None:
                return None
            data["pid"] = pid

        def read(role: Role, value: Any) -> Any:
            if role.kind == "pid":
                if role.any_value:
                    return self._target(value)
                return self._pids.get(value, NONEXISTENT_PID)
            if role.kind == "handle":
                return self._slot(value)
            if role.kind == "info":
                # bytes the model never minted are no info (None), and cannot travel
                return self._infos.get(call.info_digest or "")
            if role.kind == "socket":
                return self._socket(call.socket)
            return value

        try:
            data.update(model_arguments(call.call, dict(call.args), read))
            return _ACTION.validate_python(data)
        except (Unknown, ValidationError):
            return None  # e.g. a pid beyond the model's bounds in a PidReply

    def _continue(self, call: Call) -> Action | None:
        """The next step of the call `call.pid` is inside of: its next SPI step, or its
        return once the steps are done; None when it is in no call."""
        assert self.world is not None
        pid = self._pids.get(call.pid) if call.pid is not None else None
        in_call = self.world.call_of(pid) if pid is not None else None
        if pid is None or in_call is None:
            return None
        step = in_call.next_step()
        if step is None:
            return CallReturn(pid=pid)
        # A live recorder inside the chain sees which catalog entry each layer's info
        # names; report it, so a layer that substitutes the wrong entry shows (R43).
        return SpiStep(
            pid=pid, function=step.function, provider=step.provider, info_entry=step.info_entry
        )

    @staticmethod
    def _slot(value: object) -> int:
        """The handle slot an observed value names (corpus.observed_handle's inverse); a
        value that is no slot's stands for a handle naming nothing."""
        if isinstance(value, int) and value >= 0x104 and (value - 0x100) % 4 == 0:
            return (value - 0x100) // 4
        return NAMES_NOTHING

    def _target(self, observed: object) -> int:
        if observed == 0:
            return 0
        if isinstance(observed, int) and observed in self._pids:
            return self._pids[observed]
        return NONEXISTENT_PID

    def _socket(self, identity: str | None) -> int | None:
        assert self.world is not None
        for s in self.world.sockets:
            if observed_socket(s.id) == identity:
                return s.id
        return None

    # -- model results to observed values -----------------------------------------------

    def _event(self, step: TraceStep) -> TraceEvent:
        fields = event_fields(step)
        result = step.result
        # At spi level the info is returned by the call's return step (a CallReturn,
        # written as the API call), not by its begin.
        if (
            fields["call"] == "WSADuplicateSocket"
            and isinstance(result, Ok)
            and isinstance(result.value, int)
        ):
            digest = info_digest(result.value)
            self._infos[digest] = result.value
            fields["info_digest"] = digest
        handle = getattr(step.action, "handle", None)
        tid = _MAIN_THREAD
        if step.action.call in ("recv", "recv_return") and isinstance(handle, int):
            tid = _recv_thread(handle)
        event = TraceEvent(seq=self._seq, time=round(0.001 * self._seq, 3), tid=tid, **fields)
        self._seq += 1
        return event


def model_driver(
    config: Config,
    profile: Profile = DOCUMENTED,
    on_step: StepHook | None = None,
) -> ModelDriver:
    """The reference model as an implementation under test."""
    return ModelDriver(Semantics(config, profile), "model", on_step)


def mutant_driver(
    mutant: Mutant,
    config: Config,
    profile: Profile = DOCUMENTED,
    on_step: StepHook | None = None,
) -> ModelDriver:
    """A mutant (a deliberately broken model) as an implementation under test."""
    return ModelDriver(mutant.build(config, profile), f"model (mutant {mutant.name})", on_step)


__all__ = ["ModelDriver", "StepHook", "model_driver", "mutant_driver"]

"""Bounds of a finite instance of the model.

A configuration decides how big the explored world may grow. Bounds never change what a
call does; they only disable the calls that would leave the box (a socket beyond
max_sockets is never created, rather than failing). Named configurations are committed
as files with every field set (see wsshare.conformance.configs).
"""

from __future__ import annotations

import sys
from typing import Literal

from pydantic import Field, model_validator

from .state import DEFAULT_CATALOG, CatalogEntry, Frozen, chain, entry_of

Family = Literal[
    "lifecycle",  # process start and exit
    "startup",  # WSAStartup / WSACleanup
    "create",  # fresh WSASocket
    "connection",  # bind, listen, connect, accept
    "share",  # WSADuplicateSocket, WSASocket from an info
    "close",  # closesocket
    "io",  # send, recv, recv_return, and the peer sending data
    "options",  # setsockopt, getsockopt
    "events",  # WSAEventSelect, WSAAsyncSelect, ioctlsocket FIONBIO
    "ipc",  # the IPC steps of the seed's table
    "errors",  # calls whose arguments are wrong: bad handles, bad pids, NULL buffers
]

ALL_FAMILIES: frozenset[Family] = frozenset(
    {
        "lifecycle",
        "startup",
        "create",
        "connection",
        "share",
        "close",
        "io",
        "options",
        "events",
        "ipc",
        "errors",
    }
)


# A bound no run can reach: checking a trace is not exploring, so the checker's
# configuration sets every bound to this (a trace is never cut short by a bound), where
# exploration uses single digits.
UNBOUNDED = sys.maxsize


class Config(Frozen):
    """The bounds of one finite model instance.

    - processes: how many process slots (pids 1..processes);
    - running_at_start: how many of them run in the initial world (the rest may start);
    - startups_at_start: the WSAStartup count each process begins with (the running
      ones in the initial world, the others when they start);
    - max_startups: the most nested WSAStartup calls a process may make;
    - max_sockets: underlying sockets ever created, accepted ones included;
    - max_infos: special WSAPROTOCOL_INFOs ever minted;
    - max_handles: handle slots per process;
    - channel_capacity: messages one IPC channel holds;
    - families: which groups of calls are enabled.
    """

    description: str = ""
    processes: int = Field(ge=1, le=UNBOUNDED)
    running_at_start: int = Field(ge=0)
    startups_at_start: int = Field(ge=0, le=UNBOUNDED)
    max_startups: int = Field(ge=0, le=UNBOUNDED)
    max_sockets: int = Field(ge=0, le=UNBOUNDED)
    max_infos: int = Field(ge=0, le=UNBOUNDED)
    max_handles: int = Field(ge=1, le=UNBOUNDED)
    channel_capacity: int = Field(ge=0, le=UNBOUNDED)
    families: frozenset[Family] = ALL_FAMILIES
    # "api": one atomic step per call; "spi": calls that reach a provider are a begin
    # step, the provider's SPI steps and a return step, and other processes interleave.
    granularity: Literal["api", "spi"] = "api"
    catalog: tuple[CatalogEntry, ...] = DEFAULT_CATALOG

    @model_validator(mode="after")
    def _consistent(self) -> Config:
        if self.running_at_start > self.processes:
            raise ValueError(
                f"running_at_start ({self.running_at_start}) exceeds processes ({self.processes})"
            )
        if self.startups_at_start > self.max_startups:
            raise ValueError(
                f"startups_at_start ({self.startups_at_start}) exceeds max_startups "
                f"({self.max_startups})"
            )
        ids = [e.id for e in self.catalog]
        if ids != list(range(len(ids))) or not ids:
            raise ValueError("catalog: entry ids must be 0, 1, 2, ... in order")
        for e in self.catalog:
            if e.kind == "layered" and (e.next is None or not 0 <= e.next < len(ids)):
                raise ValueError(f"catalog: layer {e.name!r} needs `next`, an entry id")
            if e.kind == "base" and e.next is not None:
                raise ValueError(f"catalog: base provider {e.name!r} has no `next`")
        for e in self.catalog:
            chain(self.catalog, e.id)  # rejects cycles
        return self

    @classmethod
    def unbounded(
        cls,
        processes: int,
        granularity: Literal["api", "spi"] = "api",
        catalog: tuple[CatalogEntry, ...] = DEFAULT_CATALOG,
    ) -> Config:
        """The configuration a checker replays a trace in: every family, no process
        running until the checker says so, and no bound a trace could reach."""
        return cls(
            description="no bounds: checking a trace",
            processes=processes,
            running_at_start=0,
            startups_at_start=0,
            max_startups=UNBOUNDED,
            max_sockets=UNBOUNDED,
            max_infos=UNBOUNDED,
            max_handles=UNBOUNDED,
            channel_capacity=UNBOUNDED,
            families=ALL_FAMILIES,
            granularity=granularity,
            catalog=catalog,
        )

    def entry(self, entry_id: int) -> CatalogEntry | None:
        return entry_of(self.catalog, entry_id)

    def chain(self, entry_id: int) -> tuple[CatalogEntry, ...]:
        return chain(self.catalog, entry_id)

    def has(self, family: Family) -> bool:
        return family in self.families

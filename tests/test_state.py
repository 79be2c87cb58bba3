"""State objects: frozen, exact JSON round trip, and clear errors on bad data."""

import pytest
from pydantic import TypeAdapter, ValidationError

from wsshare.conformance.loading import load_config
from wsshare.model import Semantics, World, reference_explore
from wsshare.model.actions import Action, WSADuplicateSocket
from wsshare.model.state import Descriptor, Process

ACTION = TypeAdapter(Action)


@pytest.fixture(scope="module")
def reachable_worlds():
    worlds = []
    for name in ("tiny", "events", "errors", "startup"):
        worlds += reference_explore(Semantics(load_config(name))).worlds
    return worlds


def test_every_reachable_world_round_trips_through_json(reachable_worlds):
    assert len(reachable_worlds) > 1000
    for w in reachable_worlds:
        again = World.model_validate_json(w.model_dump_json())
        assert again == w
        assert hash(again) == hash(w)


def test_worlds_are_frozen():
    w = World(processes=(Process(pid=1),))
    with pytest.raises(ValidationError):
        w.processes = ()  # type: ignore[misc]


def test_every_action_of_a_search_round_trips_through_json():
    result = reference_explore(Semantics(load_config("errors")))
    seen = 0
    for edge in result.edges:
        data = edge.action.model_dump(mode="json")
        assert ACTION.validate_python(data) == edge.action
        seen += 1
    assert seen == result.edge_count


@pytest.mark.parametrize(
    "data, field",
    [
        ({"pid": 1, "handle": -1, "socket": 0, "origin": "created"}, "handle"),
        ({"pid": 0, "handle": 1, "socket": 0, "origin": "created"}, "pid"),
        ({"pid": 1, "handle": 1, "socket": 0, "origin": "stolen"}, "origin"),
        ({"pid": 1, "handle": 1, "socket": 0, "origin": "created", "colour": 3}, "colour"),
    ],
)
def test_bad_descriptor_data_names_the_field(data, field):
    with pytest.raises(ValidationError) as info:
        Descriptor.model_validate(data)
    assert field in str(info.value)


def test_unknown_call_is_rejected_naming_the_discriminator():
    with pytest.raises(ValidationError) as info:
        ACTION.validate_python({"call": "WSAFrobnicate", "pid": 1})
    assert "WSAFrobnicate" in str(info.value)


def test_negative_handle_in_an_action_is_rejected():
    with pytest.raises(ValidationError) as info:
        WSADuplicateSocket(pid=1, handle=-3, target_pid=2)
    assert "handle" in str(info.value)


def test_world_with_unknown_process_field_is_rejected():
    with pytest.raises(ValidationError) as info:
        World.model_validate({"processes": [{"pid": 1, "status": "zombie"}]})
    assert "status" in str(info.value)

"""The cluster's state cut into parts, one per release name plus the globals, so that saving a change
costs what the releases it touched hold, not what the whole cluster holds (13 MB at 1,000 releases).

Every release-owned item carries its release's name, which is the part it goes to. :class:`World`
notes the names its primitives touch; :func:`dump_parts` serialises only those.
"""

from __future__ import annotations

from collections.abc import Iterable

from pydantic import TypeAdapter

from .state import ClusterGlobals, ClusterState, ReleasePart

GLOBALS = TypeAdapter(ClusterGlobals)
PART = TypeAdapter(ReleasePart)


def release_of_key(key: str) -> str:
    """The release name in a ``namespace/release`` key (events and release records are keyed so)."""
    return key.split("/", 1)[1]


def split(state: ClusterState) -> dict[str, ReleasePart]:
    """Every item of ``state`` in the part of its release; one pass of attribute reads, no serialising."""
    parts: dict[str, ReleasePart] = {}

    def part(release: str) -> ReleasePart:
        found = parts.get(release)
        if found is None:
            found = parts[release] = ReleasePart()
        return found

    for key, record in state.releases.items():
        part(record.name).releases[key] = record
    for ref, obj in state.objects.items():
        part(obj.release).objects[ref] = obj
        if ref in state.workloads:
            parts[obj.release].workloads[ref] = state.workloads[ref]
    for key, pod in state.pods.items():
        part(pod.release).pods[key] = pod
    for key, claim in state.claims.items():
        part(claim.release).claims[key] = claim
    for key, events in state.events.items():
        part(release_of_key(key)).events[key] = events
    return parts


def dump_globals(state: ClusterState) -> bytes:
    return GLOBALS.dump_json(
        ClusterGlobals(
            config=state.config, clock=state.clock, serial=state.serial, dirty=state.dirty,
            unsettled=state.unsettled, capacity_changed=state.capacity_changed, disk_fill=state.disk_fill,
            cordoned=state.cordoned, platform=state.platform,
        )
    )  # fmt: skip


def dump_parts(state: ClusterState, releases: Iterable[str]) -> dict[str, bytes | None]:
    """The JSON of each named release's part; None for a part that is empty now (to delete)."""
    parts = split(state)
    return {name: PART.dump_json(parts[name]) if name in parts else None for name in releases}


def load(globals_json: bytes, parts_json: Iterable[bytes]) -> ClusterState:
    """The state that :func:`dump_globals` and every :func:`dump_parts` saved."""
    found = GLOBALS.validate_json(globals_json)
    state = ClusterState(
        config=found.config, clock=found.clock, serial=found.serial, dirty=found.dirty,
        unsettled=found.unsettled, capacity_changed=found.capacity_changed, disk_fill=found.disk_fill,
        cordoned=found.cordoned, platform=found.platform,
    )  # fmt: skip
    for text in parts_json:
        part = PART.validate_json(text)
        state.releases.update(part.releases)
        state.objects.update(part.objects)
        state.workloads.update(part.workloads)
        state.pods.update(part.pods)
        state.claims.update(part.claims)
        state.events.update(part.events)
    return state

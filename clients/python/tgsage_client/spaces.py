"""The search spaces as data (tgsage.v1.SearchSpaces, served by the trainer and the search controller): each space is
an ordered list of categorical decisions, the representation tgsage's own strategies search over.

    from tgsage_client import SpacesClient

    with SpacesClient() as spaces:
        space = spaces.describe("convnet")
        for d in space.decisions:
            print(d.index, d.name, d.choices, d.active_when)
        genome = spaces.to_genome("convnet", by_name={"depth": 1, ...})   # the active decisions by name
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

from tgsage_client._common import Client, genome_dict, space_value, to_genome
from tgsage_client._gen.tgsage.v1 import genome_pb2, space_pb2, space_pb2_grpc


@dataclass(frozen=True)
class Condition:
    """Decision `decision` (named `name`) takes one of `choices`."""

    decision: int
    name: str
    choices: tuple[int, ...]


@dataclass(frozen=True)
class Decision:
    index: int
    name: str
    choices: tuple[str, ...]
    default: int
    active_when: tuple[Condition, ...] = ()

    def is_active(self, chosen: Mapping[str, int]) -> bool:
        """Whether this decision is active given the earlier decisions' choices (by name)."""
        return all(chosen.get(c.name) in c.choices for c in self.active_when)


@dataclass(frozen=True)
class Space:
    """A search space as data: `decisions` in vector order (conditions refer to earlier decisions only)."""

    name: str
    decisions: tuple[Decision, ...]
    log10_vectors: float
    notes: tuple[str, ...] = ()
    raw: Any = field(default=None, repr=False, compare=False)

    @classmethod
    def from_proto(cls, d: space_pb2.SpaceDescription) -> "Space":
        return cls(
            name=d.name,
            decisions=tuple(
                Decision(
                    index=x.index,
                    name=x.name,
                    choices=tuple(x.choices),
                    default=x.default_choice,
                    active_when=tuple(Condition(c.decision, c.name, tuple(c.choices)) for c in x.active_when),
                )
                for x in d.decisions
            ),
            log10_vectors=d.log10_vectors,
            notes=tuple(d.notes),
            raw=d,
        )

    def active(self, vector: Sequence[int]) -> list[bool]:
        """Which decisions are active in a full vector."""
        chosen = {d.name: v for d, v in zip(self.decisions, vector)}
        return [d.is_active(chosen) for d in self.decisions]

    def vector(self, by_name: Mapping[str, int]) -> list[int]:
        """A full vector from the active decisions by name (inactive ones at their defaults)."""
        chosen: dict[str, int] = {}
        out = []
        for d in self.decisions:
            if d.is_active(chosen):
                if d.name not in by_name:
                    raise ValueError(f"by_name[{d.name}]: is active here and must be given")
                v = int(by_name[d.name])
                if not 0 <= v < len(d.choices):
                    raise ValueError(f"by_name[{d.name}]: must be 0 to {len(d.choices) - 1} (got {v})")
            else:
                v = d.default
            chosen[d.name] = v
            out.append(v)
        return out


@dataclass(frozen=True)
class Decoded:
    genome: genome_pb2.Genome
    decisions: list[int]
    genome_json: str

    @property
    def genome_dict(self) -> dict:
        return genome_dict(self.genome)


@dataclass(frozen=True)
class Encoded:
    space: str
    decisions: list[int]
    active: list[bool]
    by_name: dict[str, int]


class SpacesClient(Client):
    """SearchSpaces on the trainer (default; TGSAGE_TRAINER_ADDR) or the controller (pass its address)."""

    _env = "TGSAGE_TRAINER_ADDR"
    _default = "127.0.0.1:50053"

    def __init__(self, address: str | None = None, **kwargs):
        super().__init__(address, **kwargs)
        self._stub = space_pb2_grpc.SearchSpacesStub(self.channel)

    def describe(self, space: str | int) -> Space:
        return Space.from_proto(
            self._stub.DescribeSpace(space_pb2.DescribeSpaceRequest(space=space_value(space)), timeout=self.timeout)
        )

    def to_genome(
        self, space: str | int, decisions: Sequence[int] | None = None, *, by_name: Mapping[str, int] | None = None
    ) -> Decoded:
        """Decisions -> genome: a full vector, or the active decisions by name (inactive ones may be left out)."""
        r = self._stub.DecisionsToGenome(
            space_pb2.DecisionsToGenomeRequest(
                space=space_value(space), decisions=list(decisions or []), by_name=dict(by_name or {})
            ),
            timeout=self.timeout,
        )
        return Decoded(r.genome, list(r.decisions), r.genome_json)

    def to_decisions(self, genome: Any) -> Encoded:
        """Genome (message, dict or JSON) -> its canonical decisions, which are active, and the active ones by name."""
        r = self._stub.GenomeToDecisions(space_pb2.GenomeToDecisionsRequest(genome=to_genome(genome)), timeout=self.timeout)
        name = "convnet" if r.space == genome_pb2.SEARCH_SPACE_CONVNET else "nasnet"
        return Encoded(name, list(r.decisions), list(r.active), dict(r.by_name))

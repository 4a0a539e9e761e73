"""Shared by the clients: the base class (address, channel, timeout) and the enum name tables."""

from __future__ import annotations

import os
from typing import Any, Mapping

import grpc
from google.protobuf import json_format

from tgsage_client import security
from tgsage_client._gen.tgsage.v1 import genome_pb2

SPACES = {"convnet": genome_pb2.SEARCH_SPACE_CONVNET, "nasnet": genome_pb2.SEARCH_SPACE_NASNET}


def lookup(table: Mapping[str, int], what: str, value: str | int) -> int:
    """A name (any case) or a number -> the enum value; ValueError naming the argument otherwise."""
    if isinstance(value, int):
        return value
    try:
        return table[value.lower()]
    except KeyError:
        raise ValueError(f"{what}: {value!r} is not one of {', '.join(table)}") from None


def name_of(table: Mapping[str, int], value: int, default: str = "default") -> str:
    return next((k for k, v in table.items() if v == value), default)


def space_value(space: str | int) -> int:
    return lookup(SPACES, "space", space)


def to_genome(genome: Any) -> genome_pb2.Genome:
    """A Genome message, or its proto3 JSON form as a dict or a JSON string ({"convnet": {...}})."""
    if isinstance(genome, genome_pb2.Genome):
        return genome
    if isinstance(genome, str):
        return json_format.Parse(genome, genome_pb2.Genome())
    if isinstance(genome, Mapping):
        return json_format.ParseDict(dict(genome), genome_pb2.Genome())
    raise TypeError(f"genome: expected a Genome, a dict or a JSON string, got {type(genome).__name__}")


def genome_dict(genome: genome_pb2.Genome) -> dict:
    """The genome as proto3 JSON (camelCase keys, enum names)."""
    return json_format.MessageToDict(genome)


class Client:
    """Base of every client: `address` (host:port) defaults to the environment variable, then the local port.
    `timeout` (seconds) applies to short calls; long streams (training, watching) take their own."""

    _env: str = ""
    _default: str = ""

    def __init__(self, address: str | None = None, *, channel: grpc.Channel | None = None, timeout: float | None = 30.0):
        self.address = address or os.environ.get(self._env) or self._default
        self._own_channel = channel is None
        # TLS and the token from TGSAGE_TLS_CA / _CERT / _KEY and TGSAGE_TOKEN_FILE when set (tgsage_client.security)
        self.channel = channel if channel is not None else security.channel(self.address)
        self.timeout = timeout

    def close(self) -> None:
        if self._own_channel:
            self.channel.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

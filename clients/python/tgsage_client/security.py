"""TLS, mutual TLS and bearer tokens for the Python clients, from arguments or the same TGSAGE_* variables as the
CLI: TGSAGE_TLS_CA (check the server against this CA), TGSAGE_TLS_CERT / TGSAGE_TLS_KEY (present a client
certificate, for mutual TLS), TGSAGE_TOKEN_FILE (a file holding the bearer token to send with every call)."""

from __future__ import annotations

import os
from typing import Any, Callable, Mapping

import grpc


def read_token(path: str) -> str:
    """The token of a token file: its first line that is not empty or a # comment."""
    with open(path, encoding="utf-8") as f:
        for raw in f:
            line = raw.split("#", 1)[0].strip()
            if line:
                if any(c.isspace() for c in line):
                    raise ValueError(f"{path}: the token file holds just the token (no role)")
                return line
    raise ValueError(f"{path}: no token")


class _BearerToken(
    grpc.UnaryUnaryClientInterceptor,
    grpc.UnaryStreamClientInterceptor,
    grpc.StreamUnaryClientInterceptor,
    grpc.StreamStreamClientInterceptor,
):
    """Adds `authorization: Bearer TOKEN` to every call (the token asked for per call, so a rotated file is seen)."""

    def __init__(self, token: Callable[[], str]):
        self._token = token

    def _details(self, details: Any) -> Any:
        metadata = list(details.metadata or []) + [("authorization", f"Bearer {self._token()}")]
        return details._replace(metadata=metadata) if hasattr(details, "_replace") else _Details(details, metadata)

    def intercept_unary_unary(self, continuation, details, request):
        return continuation(self._details(details), request)

    def intercept_unary_stream(self, continuation, details, request):
        return continuation(self._details(details), request)

    def intercept_stream_unary(self, continuation, details, request_iterator):
        return continuation(self._details(details), request_iterator)

    def intercept_stream_stream(self, continuation, details, request_iterator):
        return continuation(self._details(details), request_iterator)


class _Details(grpc.ClientCallDetails):
    def __init__(self, d: grpc.ClientCallDetails, metadata):
        self.method = d.method
        self.timeout = d.timeout
        self.metadata = metadata
        self.credentials = d.credentials
        self.wait_for_ready = getattr(d, "wait_for_ready", None)
        self.compression = getattr(d, "compression", None)


# Keepalive, as every tgsage channel does (services/common/keepalive.ts; test/python/python.test.ts checks that the
# values agree): a ping every 60 s even when idle, so load balancers and NAT tables that drop idle TCP flows keep the
# connection, and a dead peer is found within 20 s. tgsage servers admit pings without calls down to every 30 s.
KEEPALIVE_OPTIONS: tuple[tuple[str, int], ...] = (
    ("grpc.keepalive_time_ms", 60_000),
    ("grpc.keepalive_timeout_ms", 20_000),
    ("grpc.keepalive_permit_without_calls", 1),
)


def channel_options(options: list[tuple[str, Any]] | None = None, server_name: str | None = None) -> list[tuple[str, Any]]:
    """The options `channel` opens a channel with: keepalive (KEEPALIVE_OPTIONS), then `options` (a key given there
    replaces the default), then the TLS server-name override."""
    merged: dict[str, Any] = dict(KEEPALIVE_OPTIONS)
    merged.update(dict(options or []))
    if server_name:
        merged["grpc.ssl_target_name_override"] = server_name
    return list(merged.items())


def _read(path: str | None) -> bytes | None:
    if not path:
        return None
    with open(path, "rb") as f:
        return f.read()


def channel(
    address: str,
    *,
    tls_ca: str | None = None,
    tls_cert: str | None = None,
    tls_key: str | None = None,
    token_file: str | None = None,
    server_name: str | None = None,
    options: list[tuple[str, Any]] | None = None,
    env: Mapping[str, str] | None = None,
) -> grpc.Channel:
    """A channel to `address`: TLS when a CA or client certificate is given (arguments, else TGSAGE_TLS_*), plaintext
    otherwise; with a token file (argument, else TGSAGE_TOKEN_FILE), every call carries its token. It pings every
    60 s (KEEPALIVE_OPTIONS; `options` may replace any of them)."""
    env = os.environ if env is None else env
    tls_ca = tls_ca or env.get("TGSAGE_TLS_CA") or None
    tls_cert = tls_cert or env.get("TGSAGE_TLS_CERT") or None
    tls_key = tls_key or env.get("TGSAGE_TLS_KEY") or None
    token_file = token_file or env.get("TGSAGE_TOKEN_FILE") or None
    if bool(tls_cert) != bool(tls_key):
        raise ValueError("tls_cert and tls_key: give both or neither")
    opts = list(options or [])
    if server_name:
        opts.append(("grpc.ssl_target_name_override", server_name))
    if tls_ca or tls_cert:
        creds = grpc.ssl_channel_credentials(
            root_certificates=_read(tls_ca), private_key=_read(tls_key), certificate_chain=_read(tls_cert)
        )
        ch = grpc.secure_channel(address, creds, options=opts)
    else:
        ch = grpc.insecure_channel(address, options=opts)
    if token_file:
        read_token(token_file)  # a missing or empty file is an error now, not at the first call
        ch = grpc.intercept_channel(ch, _BearerToken(lambda: read_token(token_file)))
    return ch

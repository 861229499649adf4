"""The local stack's ports: never one the kernel may give an outgoing connection, never
one already listened on, never the same one twice."""

from __future__ import annotations

import socket

import pytest

from devstack import embedded
from devstack.embedded import ephemeral_ports, free_port


def test_ports_are_drawn_below_the_ephemeral_range_and_never_twice() -> None:
    low, _ = ephemeral_ports()
    ports = [free_port() for _ in range(200)]

    assert len(set(ports)) == len(ports)
    assert all(1024 < port < low for port in ports)


def test_a_port_someone_listens_on_is_passed_over(monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as listening:
        listening.bind(("127.0.0.1", 0))
        listening.listen()
        taken = listening.getsockname()[1]
        spare = free_port()
        draws = iter([taken, spare, taken, spare + 1])
        monkeypatch.setattr(embedded.random, "randrange", lambda *_: next(draws))

        # The listened port is drawn first, then one handed out before: both passed over.
        assert free_port() == spare + 1

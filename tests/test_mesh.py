"""A service-mesh sidecar that swallows SMTP's server-first greeting (issue 19): the sidecar
is told by its proxy's listening ports, which the tests open for real on this machine (a
pod's containers share one network namespace, so /proc/net/tcp shows them the same way)."""

from __future__ import annotations

import contextlib
import socket

import pytest

from smtpdoctor.wire.mesh import detect_mesh, listening_ports
from tests.servers import SilentServer


@contextlib.contextmanager
def listening(*ports: int):
    sockets = []
    try:
        for port in ports:
            sock = socket.socket()
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind(("127.0.0.1", port))
            except OSError as exc:
                pytest.skip(f"port {port} cannot be bound here ({exc.strerror})")
            sock.listen()
            sockets.append(sock)
        yield
    finally:
        for sock in sockets:
            sock.close()


def test_listening_ports_are_read_from_proc():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        assert sock.getsockname()[1] in listening_ports()


@pytest.mark.parametrize(("ports", "mesh"), [((15001, 15006), "istio"), ((4140, 4143), "linkerd"),
                                             ((15001,), None)])
def test_the_mesh_is_told_by_both_of_its_ports(ports, mesh):
    with listening(*ports):
        assert detect_mesh() == mesh


@pytest.mark.parametrize(("ports", "annotation"), [
    ((15001, 15006), "traffic.sidecar.istio.io/excludeOutboundPorts"),
    ((4140, 4143), "config.linkerd.io/skip-outbound-ports"),
])
def test_a_greeting_that_never_comes_behind_a_sidecar_names_the_annotation(check, account, ports, annotation):
    with listening(*ports), SilentServer() as silent:
        out = check(account(silent.port), timeout="1")
    smtp = out.probe("smtp")
    assert (smtp["error"]["code"], smtp["error"]["reason"]) == ("ETIMEDOUT", "smtp.greeting_held_by_mesh")
    assert "The sidecar likely holds the connection" in " ".join(smtp["error"]["message"].split())
    assert f'{annotation}: "{silent.port}"' in smtp["remedy"]


def test_without_a_sidecar_it_stays_a_greeting_timeout(check, account):
    if detect_mesh():
        pytest.skip("a mesh's ports listen on this machine")
    with SilentServer() as silent:
        out = check(account(silent.port), timeout="1")
    assert out.probe("smtp")["error"]["reason"] == "smtp.greeting_timeout"

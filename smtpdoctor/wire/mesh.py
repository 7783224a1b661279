"""Whether a service-mesh sidecar shares this machine's network: its proxy's listening
ports, read from /proc/net/tcp and tcp6 (a pod's containers share one network namespace,
so the app's container sees the sidecar's sockets; neither mesh gives the app's container
an environment variable that says so).

Istio's Envoy listens on 15001 (outbound) and 15006 (inbound); Linkerd's proxy on 4140
(outbound) and 4143 (inbound) (istio.io docs/ops/deployment/requirements; linkerd2's
charts/linkerd-control-plane/values.yaml). Both ports of a pair must listen.
"""

from __future__ import annotations

from pathlib import Path

MESHES = {"istio": (15001, 15006), "linkerd": (4140, 4143)}
LISTEN = "0A"  # the TCP state column of /proc/net/tcp


def listening_ports(proc: Path = Path("/proc/net")) -> set[int]:
    ports: set[int] = set()
    for name in ("tcp", "tcp6"):
        try:
            lines = (proc / name).read_text(encoding="ascii", errors="replace").splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if len(fields) > 3 and fields[3] == LISTEN:
                ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return ports


def detect_mesh(proc: Path = Path("/proc/net")) -> str | None:
    """"istio" or "linkerd" when that sidecar's ports listen here, else None."""
    ports = listening_ports(proc)
    return next((mesh for mesh, pair in MESHES.items() if set(pair) <= ports), None)

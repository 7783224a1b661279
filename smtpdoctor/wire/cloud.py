"""Which cloud this machine runs in, read locally the way cloud-init and systemd do: the
firmware's DMI fields under /sys/class/dmi/id (no network, no metadata service).

Only the fields every user may read are used (product_uuid is root-only). Inside a
container the host's DMI fields are usually visible, and the cloud's network rules apply
to the container all the same.

The outbound SMTP rules are each cloud's own documentation (docs/network-path.md has the
pages, read 2026-12-01); a cloud whose rule could not be checked there is not named.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import NamedTuple

# SMTPDOCTOR_DMI_ROOT: where the DMI fields are (/sys/class/dmi/id), for a container that
# mounts the host's elsewhere, and for the tests: firmware cannot be made up on one machine.
FIELDS = ("sys_vendor", "product_name", "chassis_asset_tag", "bios_vendor", "board_vendor")


class Cloud(NamedTuple):
    id: str
    evidence: str  # the DMI field and value it was told by: "sys_vendor=DigitalOcean"
    blocked: frozenset[int]  # the outbound ports its documentation says are blocked by default


# (cloud, field, how the value is matched, the value): cloud-init's tools/ds-identify and
# cloudinit/sources/DataSource*.py; "Amazon EC2" from systemd's src/basic/virt.c.
RULES: tuple[tuple[str, str, str, str], ...] = (
    ("aws", "sys_vendor", "starts", "Amazon EC2"),
    ("aws", "product_name", "starts", "Amazon EC2"),
    ("aws", "board_vendor", "starts", "Amazon EC2"),
    ("aws", "bios_vendor", "starts", "Amazon EC2"),
    ("google", "product_name", "is", "Google Compute Engine"),
    ("google", "product_name", "is", "Google"),
    ("azure", "chassis_asset_tag", "is", "7783-7084-3265-9085-8269-3286-77"),
    ("digitalocean", "sys_vendor", "is", "DigitalOcean"),
    ("linode", "sys_vendor", "is", "Linode"),
    ("linode", "sys_vendor", "is", "Akamai"),
    ("alibaba", "product_name", "is", "Alibaba Cloud ECS"),
)
BLOCKED = {
    "aws": frozenset({25}),  # throttled by default until the removal request
    "google": frozenset({25}),
    "azure": frozenset({25}),  # most subscription types; Enterprise Agreement ones are open
    "digitalocean": frozenset({25}),  # new accounts
    "linode": frozenset({25, 465, 587}),  # accounts created since 2019-11-05
    "alibaba": frozenset({25}),
}


def detect_cloud(root: Path | None = None) -> Cloud | None:
    """The cloud whose DMI fields this machine shows, or None (a laptop, bare metal, a cloud
    not in the table, or no DMI at all)."""
    root = root or Path(os.environ.get("SMTPDOCTOR_DMI_ROOT", "/sys/class/dmi/id"))
    values: dict[str, str] = {}
    for name in FIELDS:
        try:
            values[name] = (root / name).read_text(encoding="utf-8", errors="replace").strip()
        except OSError:
            continue
    for cloud, name, how, wanted in RULES:
        value = values.get(name, "")
        if (value.startswith(wanted) if how == "starts" else value == wanted) and value:
            return Cloud(cloud, f"{name}={value}", BLOCKED[cloud])
    return None

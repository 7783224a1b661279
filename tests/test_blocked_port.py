"""A dropped port told from a dead server (issue 19): while the mail port is silent, the
same host's web port (443) and the other submission ports are asked within the same limit;
the cloud this machine runs in is read from its DMI fields (a made-up folder here, since
firmware cannot be made up on one machine)."""

from __future__ import annotations

import socket

import pytest

from smtpdoctor.wire.cloud import detect_cloud
from tests.servers import DroppingPort


def message(out) -> str:
    return " ".join(out.probe("tcp")["error"]["message"].split())


def test_a_host_that_answers_on_443_is_up_and_its_mail_port_is_dropped(check, account):
    # 127.0.0.1:443 refuses (nothing listens there): a running host answered.
    with DroppingPort() as dropped:
        out = check(account(dropped.port), timeout="1")
    tcp = out.probe("tcp")
    assert (tcp["error"]["code"], tcp["error"]["reason"]) == ("ETIMEDOUT", "tcp.timeout")
    assert (f"not refused by a stopped server: localhost answered on port 443 (it refused the connection, "
            f"which only a running host does), so it is up, and something drops port {dropped.port}") in message(out)


def test_a_host_silent_on_443_too_may_be_down(check, account, monkeypatch):
    from smtpdoctor.probes import tcp

    with DroppingPort() as dropped, DroppingPort() as web:
        monkeypatch.setattr(tcp, "REACH_PORT", web.port)  # stands in for a silent 443
        out = check(account(dropped.port), timeout="1")
    assert (f"port {web.port} of the same address gave no answer either, so the host may be down or "
            "unreachable from this network") in message(out)


def test_a_submission_port_that_answers_says_so_first(check, account, starttls_server):
    with DroppingPort() as dropped:
        out = check(account(dropped.port), timeout="1", alt_ports=str(starttls_server.port))
    assert f"localhost answered on port {starttls_server.port} (it speaks SMTP there)" in message(out)


@pytest.mark.parametrize(("files", "cloud", "evidence"), [
    ({"sys_vendor": "DigitalOcean\n", "product_name": "Droplet\n"}, "digitalocean", "sys_vendor=DigitalOcean"),
    ({"sys_vendor": "Amazon EC2\n", "product_name": "t3.micro\n"}, "aws", "sys_vendor=Amazon EC2"),
    ({"chassis_asset_tag": "7783-7084-3265-9085-8269-3286-77\n"}, "azure",
     "chassis_asset_tag=7783-7084-3265-9085-8269-3286-77"),
    ({"product_name": "Google Compute Engine\n"}, "google", "product_name=Google Compute Engine"),
    ({"product_name": "Alibaba Cloud ECS\n", "sys_vendor": "Alibaba Cloud\n"}, "alibaba",
     "product_name=Alibaba Cloud ECS"),
    ({"sys_vendor": "Akamai\n"}, "linode", "sys_vendor=Akamai"),
    ({"sys_vendor": "LENOVO\n", "product_name": "20XW\n"}, None, None),
    ({}, None, None),
])
def test_the_cloud_is_read_from_dmi_as_cloud_init_does(tmp_path, files, cloud, evidence):
    for name, value in files.items():
        (tmp_path / name).write_text(value)
    found = detect_cloud(tmp_path)
    assert (found.id if found else None, found.evidence if found else None) == (cloud, evidence)


def test_a_dropped_port_25_on_digitalocean_names_the_rule(check, env_file, tmp_path, monkeypatch):
    (tmp_path / "sys_vendor").write_text("DigitalOcean\n")
    monkeypatch.setenv("SMTPDOCTOR_DMI_ROOT", str(tmp_path))
    # Neither a public address nor a silent port 25 can be made on one machine: a dropped
    # loopback port stands in for both (the cloud table is asked for that port).
    from smtpdoctor.probes import tcp
    from smtpdoctor.wire import cloud

    monkeypatch.setattr(tcp, "_public", lambda address: True)
    with DroppingPort() as dropped:
        monkeypatch.setitem(cloud.BLOCKED, "digitalocean", frozenset({dropped.port}))
        env = env_file(SMTP_HOST="127.0.0.1", SMTP_PORT=dropped.port, SMTP_USER="a@example.com",
                       SMTP_PASSWORD="x")
        out = check(env, timeout="1")
    assert ("This machine is a DigitalOcean Droplet (sys_vendor=DigitalOcean); DigitalOcean blocks port 25 "
            "on all Droplets of new accounts.") in message(out)


@pytest.mark.parametrize("public", [True, False])
def test_no_cloud_sentence_for_a_port_it_does_not_block_nor_for_a_local_relay(
        check, account, tmp_path, monkeypatch, public):
    (tmp_path / "sys_vendor").write_text("DigitalOcean\n")
    monkeypatch.setenv("SMTPDOCTOR_DMI_ROOT", str(tmp_path))
    from smtpdoctor.probes import tcp
    from smtpdoctor.wire import cloud

    monkeypatch.setattr(tcp, "_public", lambda address: public)
    with DroppingPort() as dropped:
        if not public:  # the port is one the cloud blocks, but the relay is on this machine
            monkeypatch.setitem(cloud.BLOCKED, "digitalocean", frozenset({dropped.port}))
        out = check(account(dropped.port), timeout="1")
    assert "DigitalOcean" not in message(out)


def test_nothing_listens_on_443_here():
    # The first test's premise: a connect to 127.0.0.1:443 is refused on this machine.
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", 443)) != 0

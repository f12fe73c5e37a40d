"""The object classes against Perl's Sys::Virt itself, on the same daemon: the same calls
give the same values and shapes (dicts with the same keys, lists, None for undef)."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .conftest import unavailable
from .daemon import Daemon
from .test_objects_support import connect, quiet, unique

#: Reads the objects named on the command line and prints what Sys::Virt returns, as JSON.
PERL = r"""
use strict;
use warnings;
use Sys::Virt;
use JSON::PP;
use MIME::Base64;
my ($daemon, $pool_name, $vol_name, $secret_uuid, $dev_name, $iface_name) = @ARGV;
my %c = map { $_ => Sys::Virt->new(uri => "$_+unix:///system?socket=$daemon") }
    qw(storage secret nodedev interface);
my $pool = $c{storage}->get_storage_pool_by_name($pool_name);
my $vol = $pool->get_volume_by_name($vol_name);
my $sec = $c{secret}->get_secret_by_uuid($secret_uuid);
my $dev = $c{nodedev}->get_node_device_by_name($dev_name);
my $iface = $c{interface}->get_interface_by_name($iface_name);
my $nodedev = $c{nodedev};
my %out = (
    pool_info => $pool->get_info(),
    pool_uuid => $pool->get_uuid_string(),
    vol_names => [$pool->list_storage_vol_names($pool->num_of_storage_volumes())],
    vol_info => $vol->get_info(),
    vol_path => $vol->get_path(),
    vol_key => $vol->get_key(),
    secret_value => encode_base64($sec->get_value(), ""),
    secret_usage => [$sec->get_usage_type(), $sec->get_usage_id()],
    dev_parent => $dev->get_parent(),
    dev_caps => [$dev->list_capabilities()],
    iface_mac => $iface->get_mac(),
    iface_active => $iface->is_active() ? 1 : 0,
    node_devices => [$nodedev->list_node_device_names(undef, $nodedev->num_of_node_devices(undef))],
);
print JSON::PP->new->canonical->encode(\%out);
"""


def perl_sysvirt(*args: str) -> dict[str, Any]:
    if shutil.which("perl") is None:
        unavailable("perl not found")
    probe = subprocess.run(["perl", "-MSys::Virt", "-MJSON::PP", "-e", "1"], capture_output=True)
    if probe.returncode != 0:
        unavailable("Perl's Sys::Virt is not installed (Debian package libsys-virt-perl)")
    done = subprocess.run(
        ["perl", "-e", PERL, *args], capture_output=True, text=True, timeout=60, check=True
    )
    result: dict[str, Any] = json.loads(done.stdout)
    return result


class Conns:
    """One connection per driver of the storage daemon."""

    def __init__(self, kind: str, daemon: Daemon) -> None:
        self.gens = {d: connect(kind, daemon.uri(d)) for d in DRIVERS}
        self.storage, self.secret, self.nodedev, self.interface = (
            next(g) for g in self.gens.values()
        )

    def close(self) -> None:
        for gen in self.gens.values():
            gen.close()


DRIVERS = ("storage", "secret", "nodedev", "interface")


@pytest.fixture
def conns(kind: str, storage_daemon: Daemon) -> Iterator[Conns]:
    c = Conns(kind, storage_daemon)
    try:
        yield c
    finally:
        c.close()


def test_same_as_sys_virt(conns: Conns, storage_daemon: Daemon, tmp_path: Path) -> None:
    pool = conns.storage.define_storage_pool(
        f"<pool type='dir'><name>{unique('vwperl')}</name>"
        f"<target><path>{tmp_path}</path></target></pool>"
    )
    sec = None
    try:
        pool.create()
        vol = pool.create_volume(
            "<volume><name>p.img</name><capacity unit='bytes'>1048576</capacity></volume>"
        )
        sec = conns.secret.define_secret(
            f"<secret ephemeral='no' private='no'><uuid>{uuid.uuid4()}</uuid>"
            f"<usage type='volume'><volume>{vol.get_path()}</volume></usage></secret>"
        )
        sec.set_value(b"\x00perl\xff")
        dev = conns.nodedev.list_node_device_names("net")[0]
        iface = conns.interface.list_interface_names()[0]
        perl = perl_sysvirt(
            str(storage_daemon.sock),
            pool.get_name(),
            "p.img",
            sec.get_uuid_string(),
            dev,
            iface,
        )
        ours = conns.nodedev.get_node_device_by_name(dev)
        assert pool.get_info() == perl["pool_info"]
        assert pool.get_uuid_string() == perl["pool_uuid"]
        assert pool.list_storage_vol_names() == perl["vol_names"]
        assert vol.get_info() == perl["vol_info"]
        assert vol.get_path() == perl["vol_path"] and vol.get_key() == perl["vol_key"]
        assert sec.get_value() == b"\x00perl\xff" == base64.b64decode(perl["secret_value"])
        assert [sec.get_usage_type(), sec.get_usage_id()] == perl["secret_usage"]
        assert ours.get_parent() == perl["dev_parent"]
        assert ours.list_capabilities() == perl["dev_caps"]
        assert conns.interface.get_interface_by_name(iface).get_mac() == perl["iface_mac"]
        assert conns.interface.get_interface_by_name(iface).is_active() == perl["iface_active"]
        assert conns.nodedev.list_node_device_names() == perl["node_devices"]
    finally:
        if sec is not None:
            quiet(sec.undefine)
        for v in quiet(pool.list_all_volumes) or []:
            quiet(v.delete)
        quiet(pool.destroy)
        quiet(pool.undefine)

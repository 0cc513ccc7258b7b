"""Defects: each makes the next migrations wrong in exactly one observable way (CONTRACTS.md §6).

| defect              | effect on the produced objects                                  | validators that fail |
|---------------------|-----------------------------------------------------------------|----------------------|
| wrong-cpu           | VM template cpu.cores = source coresPerSocket + 1               | cpu |
| wrong-memory        | memory.guest = source memoryMB + 512 Mi                         | memory |
| wrong-network       | each NIC on the other kind of network (pod <-> multus default/lab-wrong-network), MACs kept | network |
| wrong-mac           | VM/VMI MACs changed (last octet); the guest reports the new MAC  | network, static_ip |
| missing-disk        | the last source disk gets no DV/PVC and no VM volume            | storage, pvc_names |
| wrong-storage-class | PVCs/DVs use storage class lab-wrong-storage-class              | storage |
| wrong-pvc-name      | PVC/DV names get an 'x' prefix                                  | pvc_names |
| wrong-serial        | firmware.serial altered (one hex digit changed)                 | serial |
| drop-labels         | template labels lose targetLabels (only app stays)              | labels |
| drop-affinity       | template affinity left out                                      | affinity |
| wrong-power-state   | runStrategy inverted (Always <-> Halted)                        | power_state |
| no-guest-agent      | VMI never gets AgentConnected                                   | guest_agent |
| ssh-down            | the migrated guest's SSH port refuses (port-forward 500)        | ssh, static_ip |
| static-ip-lost      | the migrated guest reports a DHCP address instead of the static one | static_ip |
| insecure-mismatch   | at the end of the migration the source Provider Secret's insecureSkipVerify is flipped | provider_ssl |
| migration-fails     | the VM fails in CopyDisks with an importer error                | step test_migrate_vms |
| migration-cancels   | after the first precopy the Migration gets spec.cancel for all VMs | step test_migrate_vms (Canceled) |
| plan-never-ready    | the Plan carries a Critical VMCriticalConcerns condition        | step test_create_plan |
Defects are read when a Plan execution begins (plan-never-ready: at every Plan validation).
"""
import logging

from .controllers.common import RES, b64e, secret_data, truthy

log = logging.getLogger("labsim.defects")

DEFECTS = ("wrong-cpu", "wrong-memory", "wrong-network", "wrong-mac", "missing-disk", "wrong-storage-class",
           "wrong-pvc-name", "wrong-serial", "drop-labels", "drop-affinity", "wrong-power-state", "no-guest-agent",
           "ssh-down", "static-ip-lost", "insecure-mismatch", "migration-fails", "migration-cancels",
           "plan-never-ready")


def active(ctx):
    try:
        return set(ctx.state.defects())
    except Exception:  # noqa: BLE001
        return set()


def mangle_mac(mac):
    parts = (mac or "00:50:56:00:00:00").split(":")
    last = (int(parts[-1], 16) ^ 0x5a) & 0xff
    parts[-1] = "%02x" % last
    return ":".join(parts)


def mangle_serial(serial):
    s = list(serial or "0")
    for i in range(len(s) - 1, -1, -1):
        if s[i] in "0123456789abcdefABCDEF":
            s[i] = "f" if s[i].lower() != "f" else "0"
            break
    return "".join(s)


def cluster_minor_ge(mgr, minor):
    try:
        cv = mgr.store.get(RES["clusterversion"], None, "version")
        v = ((cv.get("status") or {}).get("desired") or {}).get("version", "")
        major, mn = v.split(".")[:2]
        return (int(major), int("".join(c for c in mn if c.isdigit()) or 0)) >= (4, minor)
    except Exception:  # noqa: BLE001
        return True


def flip_insecure(mgr, provider):
    """insecure-mismatch: the Provider Secret's insecureSkipVerify no longer says what the user configured."""
    ref = (provider.get("spec") or {}).get("secret") or {}
    ns = ref.get("namespace") or provider["metadata"]["namespace"]

    def fn(o):
        cur = secret_data(o).get("insecureSkipVerify", "false")
        o.setdefault("data", {})["insecureSkipVerify"] = b64e("false" if truthy(cur) else "true")
        (o.get("stringData") or {}).pop("insecureSkipVerify", None)
    try:
        mgr.store.mutate(RES["secret"], ns, ref.get("name", ""), fn)
    except Exception:  # noqa: BLE001
        log.exception("insecure-mismatch")


def guest_profile(run, guest_nics):
    """What the migrated guest answers over SSH: hostname, NICs with MACs and IPs."""
    inv = run.inv
    defects = run.defects
    preserve = run.ex.spec.get("preserveStaticIPs", True)
    windows = run.windows
    gnets = inv.get("guestNetworks") or []
    stacks = inv.get("guestIpStacks") or []
    src_nics = inv.get("nics") or []
    nics = []
    for gi, g in enumerate(guest_nics):
        src_order = next((n["order"] for n in src_nics if n["mac"].lower() == g["source_mac"].lower()), gi)
        ips = [x for x in gnets if x.get("mac", "").lower() == g["source_mac"].lower() and ":" not in x.get("ip", "")]
        static = [x for x in ips if x.get("_static", x.get("origin") == "manual")]
        gw = next((s["gateway"] for s in stacks if s.get("device") == str(src_order) and ":" not in s["gateway"]), "")
        dns = (ips[0].get("dns") if ips else None) or ["192.168.122.1"]
        if preserve and static and "static-ip-lost" not in defects:
            addrs = [(x["ip"], int(x.get("prefix") or 24)) for x in static]
            nics.append({"mac": g["mac"], "addrs": addrs, "gateway": gw, "dns": dns, "dhcp": False})
        else:
            if g["pod"]:
                addrs, gw2 = [("10.0.2.2", 24)], "10.0.2.1"
            else:
                addrs, gw2 = [("10.200.%d.%d" % (gi, 10 + gi), 24)], "10.200.%d.1" % gi
            nics.append({"mac": g["mac"], "addrs": addrs, "gateway": gw2, "dns": dns, "dhcp": True})
    return {"hostname": inv.get("hostName") or inv["name"], "windows": windows, "nics": nics,
            "agent": "no-guest-agent" not in defects, "ssh": "ssh-down" not in defects,
            "migrated": True, "guest_id": inv.get("guestId", "")}

"""Guest SSH endpoints (paramiko): source VMs at their vcsim guest IPs, migrated VMs at their VMI IP.
They accept only the providers file's guest credentials (Linux or Windows by guest id) and answer
`true`, `echo`, `hostname`, `ls /cloud-init.finish`, `nmcli device show` / `ipconfig /all`, and the runner's
IP-origin script (`nmcli ... ipv4.method ...`: one `<ip>|manual|auto` line per address)."""
import ipaddress
import logging
import os
import shlex
import socket
import threading

import paramiko

log = logging.getLogger("labsim.guests")
logging.getLogger("paramiko").setLevel(logging.CRITICAL)


def mask_of(prefix):
    return str(ipaddress.IPv4Network("0.0.0.0/%d" % prefix).netmask)


def eui64_link_local(mac):
    """fe80::/64 address of a MAC (modified EUI-64), as the kernel derives it."""
    try:
        b = bytes(int(x, 16) for x in mac.split(":"))
        if len(b) != 6:
            raise ValueError
    except ValueError:
        b = bytes(6)
    e = bytes([b[0] ^ 0x02]) + b[1:3] + b"\xff\xfe" + b[3:]
    return str(ipaddress.IPv6Address(b"\xfe\x80" + bytes(6) + e))


def _kv(key, value):
    return "%-40s%s" % (key + ":", value)


def nmcli(profile):
    lines = []
    for i, nic in enumerate(profile["nics"]):
        dev = ("enp%ds0" % (i + 1)) if profile.get("migrated") else ("ens%d" % (192 + 32 * i))
        block = [_kv("GENERAL.DEVICE", dev), _kv("GENERAL.TYPE", "ethernet"),
                 _kv("GENERAL.HWADDR", nic["mac"].upper()), _kv("GENERAL.MTU", "1500"),
                 _kv("GENERAL.STATE", "100 (connected)"), _kv("GENERAL.CONNECTION", dev),
                 _kv("GENERAL.CON-PATH", "/org/freedesktop/NetworkManager/ActiveConnection/%d" % (i + 1)),
                 _kv("WIRED-PROPERTIES.CARRIER", "on")]
        for j, (ip, prefix) in enumerate(nic["addrs"]):
            block.append(_kv("IP4.ADDRESS[%d]" % (j + 1), "%s/%d" % (ip, prefix)))
        block.append(_kv("IP4.GATEWAY", nic.get("gateway") or "--"))
        r = 1
        if nic.get("gateway"):
            block.append(_kv("IP4.ROUTE[%d]" % r, "dst = 0.0.0.0/0, nh = %s, mt = %d" % (nic["gateway"], 100 + i)))
            r += 1
        for ip, prefix in nic["addrs"]:
            net = ipaddress.IPv4Network("%s/%d" % (ip, prefix), strict=False)
            block.append(_kv("IP4.ROUTE[%d]" % r, "dst = %s, nh = 0.0.0.0, mt = %d" % (net, 100 + i)))
            r += 1
        for j, d in enumerate(nic.get("dns") or []):
            block.append(_kv("IP4.DNS[%d]" % (j + 1), d))
        block_ll = eui64_link_local(nic["mac"])
        block.append(_kv("IP6.ADDRESS[1]", block_ll + "/64"))
        block.append(_kv("IP6.GATEWAY", "--"))
        block.append(_kv("IP6.ROUTE[1]", "dst = fe80::/64, nh = ::, mt = 1024"))
        lines.append("\n".join(block))
    lines.append("\n".join([_kv("GENERAL.DEVICE", "lo"), _kv("GENERAL.TYPE", "loopback"),
                            _kv("GENERAL.HWADDR", "00:00:00:00:00:00"), _kv("GENERAL.MTU", "65536"),
                            _kv("GENERAL.STATE", "10 (unmanaged)"), _kv("GENERAL.CONNECTION", "--"),
                            _kv("GENERAL.CON-PATH", "--"), _kv("IP4.ADDRESS[1]", "127.0.0.1/8"),
                            _kv("IP4.GATEWAY", "--"), _kv("IP6.ADDRESS[1]", "::1/128"), _kv("IP6.GATEWAY", "--"),
                            _kv("IP6.ROUTE[1]", "dst = ::1/128, nh = ::, mt = 256")]))
    return "\n\n".join(lines) + "\n"


def _w(key, value):
    s = key
    while len(s) < 33:
        s += "." if len(s) % 2 == 0 else " "
    return ("   %s : %s" % (s, value)).rstrip()


def ipconfig(profile):
    host = (profile.get("hostname") or "WIN-LAB").split(".")[0].upper()[:15]
    out = ["", "Windows IP Configuration", "",
           _w("Host Name", host), _w("Primary Dns Suffix ", ""), _w("Node Type", "Hybrid"),
           _w("IP Routing Enabled", "No"), _w("WINS Proxy Enabled", "No"), ""]
    for i, nic in enumerate(profile["nics"]):
        name = "Ethernet%d" % i if not profile.get("migrated") else ("Ethernet" if i == 0 else "Ethernet %d" % (i + 1))
        desc = "Red Hat VirtIO Ethernet Adapter" if profile.get("migrated") else "vmxnet3 Ethernet Adapter"
        if i and profile.get("migrated"):
            desc += " #%d" % (i + 1)
        out += ["Ethernet adapter %s:" % name, "",
                _w("Connection-specific DNS Suffix ", ""), _w("Description", desc),
                _w("Physical Address", nic["mac"].upper().replace(":", "-")),
                _w("DHCP Enabled", "Yes" if nic.get("dhcp") else "No"), _w("Autoconfiguration Enabled", "Yes"),
                _w("Link-local IPv6 Address", "fe80::%x:%x:%x:%x%%%d(Preferred)" % (0x40c + i, 0x2f5f, 0x6658,
                                                                                       0x9ec3, 2 + i))]
        for ip, prefix in nic["addrs"]:
            out.append(_w("IPv4 Address", "%s(Preferred)" % ip))
            out.append(_w("Subnet Mask", mask_of(prefix)))
        out.append(_w("Default Gateway", nic.get("gateway") or ""))
        out.append(_w("DNS Servers", (nic.get("dns") or [""])[0]))
        out += [_w("NetBIOS over Tcpip", "Enabled"), ""]
    return "\r\n".join(out) + "\r\n"


def run_command(profile, command):
    """(stdout, stderr, exit status) of one exec request."""
    cmd = command.strip()
    win = profile.get("windows")
    if cmd in ("true", "exit 0", ":"):
        return "", "", 0
    if cmd == "false":
        return "", "", 1
    if cmd.startswith("echo"):
        try:
            words = shlex.split(cmd)[1:]
        except ValueError:
            words = cmd.split()[1:]
        return " ".join(words) + ("\r\n" if win else "\n"), "", 0
    if cmd == "hostname":
        h = profile.get("hostname") or "localhost"
        return (h.split(".")[0].upper() + "\r\n") if win else h + "\n", "", 0
    if not win and cmd in ("ls /cloud-init.finish", "test -f /cloud-init.finish", "ls -l /cloud-init.finish"):
        return ("/cloud-init.finish\n" if cmd.startswith("ls") else ""), "", 0
    if not win and cmd.startswith("nmcli") and "ipv4.method" in cmd:
        # the runner's IP-origin script (NetworkManager: each active connection's ipv4.method and
        # its device's IPv4s): "<ip>|manual" for static addresses, "<ip>|auto" for DHCP ones
        return "".join("%s|%s\n" % (a, "auto" if nic.get("dhcp") else "manual")
                       for nic in profile.get("nics") or [] for a, _ in nic.get("addrs") or []), "", 0
    if not win and cmd.startswith("nmcli") and "device show" in cmd.replace("dev show", "device show"):
        return nmcli(profile), "", 0
    if win and "ipconfig" in cmd.lower() and "/all" in cmd.lower():
        return ipconfig(profile), "", 0
    if win:
        name = cmd.split()[0] if cmd else ""
        return "", "'%s' is not recognized as an internal or external command,\r\noperable program or batch file.\r\n" \
            % name, 1
    return "", "bash: %s: command not found\n" % (cmd.split()[0] if cmd else ""), 127


class _Server(paramiko.ServerInterface):
    def __init__(self, endpoint):
        self.ep = endpoint
        self.exec_done = threading.Event()

    def get_allowed_auths(self, username):
        return "password"

    def check_auth_password(self, username, password):
        user, pw = self.ep.credentials()
        if user and username == user and password == pw:
            return paramiko.AUTH_SUCCESSFUL
        return paramiko.AUTH_FAILED

    def check_auth_none(self, username):
        return paramiko.AUTH_FAILED

    def check_channel_request(self, kind, chanid):
        if kind == "session":
            return paramiko.OPEN_SUCCEEDED
        return paramiko.OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED

    def check_channel_pty_request(self, *args):
        return True

    def check_channel_env_request(self, *args):
        return True

    def check_channel_shell_request(self, channel):
        return False

    def check_channel_exec_request(self, channel, command):
        # Answer synchronously (data, exit status, EOF) before the request's SUCCESS reply goes out: a
        # close sent from another thread could overtake that reply and make the client see
        # "Channel closed". The client closes the channel once it has read everything.
        cmd = command.decode("utf-8", "replace") if isinstance(command, bytes) else command
        try:
            out, err, rc = run_command(self.ep.profile(), cmd)
            if out:
                channel.sendall(out.encode())
            if err:
                channel.sendall_stderr(err.encode())
            channel.send_exit_status(rc)
            channel.shutdown_write()
        except Exception:  # noqa: BLE001
            log.debug("exec failed", exc_info=True)
            return False
        return True


class Endpoint:
    """One listening socket (ip, port) whose connections are served by paramiko."""

    def __init__(self, mgr, ip, port, profile_fn):
        self.mgr, self.ip, self.port = mgr, ip, port
        self.profile = profile_fn
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((ip, port))
        self.sock.listen(16)
        self.closed = False
        self.conns = set()
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True, name="ssh-%s" % ip).start()

    def credentials(self):
        c = self.mgr.credentials
        if self.profile().get("windows"):
            return c.get("guest_windows_user"), c.get("guest_windows_password")
        return c.get("guest_linux_user"), c.get("guest_linux_password")

    def _accept(self):
        while not self.closed:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn):
        t = None
        try:
            t = paramiko.Transport(conn)
            t.local_version = "SSH-2.0-OpenSSH_8.0"
            t.add_server_key(self.mgr.host_key)
            with self.lock:
                self.conns.add(t)
            t.start_server(server=_Server(self))
            while t.is_active() and not self.closed:
                ch = t.accept(timeout=1.0)
                if ch is None:
                    continue
        except Exception:  # noqa: BLE001 - a client going away is normal
            log.debug("ssh session ended", exc_info=True)
        finally:
            if t is not None:
                with self.lock:
                    self.conns.discard(t)
                t.close()
            try:
                conn.close()
            except OSError:
                pass

    def close(self):
        self.closed = True
        try:
            self.sock.close()
        except OSError:
            pass
        with self.lock:
            conns = list(self.conns)
        for t in conns:
            t.close()


class GuestManager:
    def __init__(self, ctx):
        self.ctx = ctx
        self.credentials = dict(getattr(ctx, "credentials", {}) or {})
        key_path = os.path.join(str(ctx.dir), "guest_host_key")
        if os.path.exists(key_path):
            self.host_key = paramiko.ECDSAKey.from_private_key_file(key_path)
        else:
            self.host_key = paramiko.ECDSAKey.generate(bits=256)
            self.host_key.write_private_key_file(key_path)
            os.chmod(key_path, 0o600)
        self.port = self._pick_port()
        ctx.facts["guest_ssh_port"] = self.port
        self.endpoints = {}  # ip -> Endpoint
        self.lock = threading.Lock()

    def _pick_port(self):
        for _ in range(20):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
            s.close()
            try:  # the same port must be free on the guest address ranges too
                for ip in ("127.42.0.1", "127.43.0.1"):
                    t = socket.socket()
                    t.bind((ip, port))
                    t.close()
                return port
            except OSError:
                continue
        raise RuntimeError("no free port for the guest SSH endpoints")

    def serve(self, ip, profile_fn):
        with self.lock:
            if ip in self.endpoints:
                self.endpoints[ip].profile = profile_fn
                return True
            try:
                self.endpoints[ip] = Endpoint(self, ip, self.port, profile_fn)
                return True
            except OSError as e:
                log.warning("cannot listen on %s:%d: %s", ip, self.port, e)
                return False

    def stop(self, ip):
        with self.lock:
            ep = self.endpoints.pop(ip, None)
        if ep:
            ep.close()

    def ips(self):
        with self.lock:
            return set(self.endpoints)

    def stop_all(self):
        for ip in list(self.ips()):
            self.stop(ip)


def source_profile(vm):
    """Profile of a powered-on source VM from its inventory record (vcsim guest info)."""
    stacks = vm.get("guestIpStacks") or []
    nics = []
    for n in vm.get("nics") or []:
        ips = [g for g in vm.get("guestNetworks") or [] if g.get("mac", "").lower() == n["mac"].lower()
               and ":" not in g.get("ip", "")]
        gw = next((s["gateway"] for s in stacks if s.get("device") == str(n["order"]) and ":" not in s["gateway"]), "")
        nics.append({"mac": n["mac"], "addrs": [(g["ip"], int(g.get("prefix") or 24)) for g in ips],
                     "gateway": gw, "dns": (ips[0].get("dns") if ips else None) or ["192.168.122.1"],
                     "dhcp": not any(g.get("_static", g.get("origin") == "manual") for g in ips)})
    return {"hostname": vm.get("hostName") or vm["name"], "windows": "win" in (vm.get("guestId") or "").lower(),
            "nics": nics, "migrated": False, "guest_id": vm.get("guestId", "")}

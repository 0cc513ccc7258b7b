"""Tests of the lab's vSphere simulator main (lab/vcsim, binary mtv-vcsim) through pyVmomi.

Each test class starts its own mtv-vcsim on a free loopback port with a throw-away CA and
random credentials, and stops it by pid. Waiting is done by watching (WaitForUpdatesEx,
select on the child's stdout, waitpid) with deadlines, never by sleeping.
"""

import os
import secrets
import select
import signal
import socket
import ssl
import subprocess
import tempfile
import time
import unittest
import warnings

from pyVim.connect import Disconnect, SmartConnect
from pyVmomi import vim, vmodl

SOURCE_DIR = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BINARY_DIR = os.environ.get("MTV_BINARY_DIR") or os.path.join(SOURCE_DIR, "build")
BINARY = os.path.join(BINARY_DIR, "lab", "mtv-vcsim")
BUILD_SH = os.path.join(SOURCE_DIR, "lab", "vcsim", "build.sh")

START_TIMEOUT = 60.0
WAIT_TIMEOUT = 20.0

TEMPLATES = {
    # name: (guestId, datastore of every disk, number of disks, [networks], static IPs)
    "mtv-tests-rhel8": ("rhel8_64Guest", "LocalDS_0", 1, ["VM Network"], True),
    "mtv-rhel8-warm-2disks2nics": ("rhel8_64Guest", "LocalDS_0", 2, ["VM Network", "DC0_DVPG0"], False),
    "mtv-win2022-ip-3disks": ("windows2019srvNext_64Guest", "LocalDS_0", 3, ["VM Network"], True),
    "xcopy-template-test": ("rhel8_64Guest", "LocalDS_1", 1, ["VM Network"], False),
}

_built = False


def build_binary():
    global _built
    if _built:
        return
    subprocess.run([BUILD_SH, BINARY], cwd=os.path.dirname(BUILD_SH), check=True)
    _built = True


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def make_ca(directory, name):
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-keyout", name + ".key", "-out", name + ".pem", "-subj", "/CN=mtvtest " + name,
            "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=directory)
    return os.path.join(directory, name + ".pem")


def make_server_cert(directory, ca):
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key",
            "-out", "server.csr", "-subj", "/CN=127.0.0.1", cwd=directory)
    with open(os.path.join(directory, "server.ext"), "w") as f:
        f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\n"
                "basicConstraints=CA:FALSE\n"
                "keyUsage=digitalSignature,keyEncipherment\n"
                "extendedKeyUsage=serverAuth\n")
    openssl("x509", "-req", "-in", "server.csr", "-CA", ca + ".pem", "-CAkey", ca + ".key",
            "-CAcreateserial", "-out", "server.pem", "-days", "1", "-extfile", "server.ext",
            cwd=directory)
    return os.path.join(directory, "server.pem"), os.path.join(directory, "server.key")


class Vcsim:
    """One mtv-vcsim process with its own CA, certificate and credentials."""

    def __init__(self, *extra_args):
        build_binary()
        self.tmp = tempfile.TemporaryDirectory(prefix="mtv-vcsim-test-")
        d = self.tmp.name
        self.ca = make_ca(d, "ca")
        self.other_ca = make_ca(d, "other-ca")
        self.cert, self.key = make_server_cert(d, "ca")
        self.user = "lab-" + secrets.token_hex(4)
        self.password = secrets.token_urlsafe(18)
        self.creds = os.path.join(d, "credentials")
        with open(self.creds, "w") as f:
            f.write(self.user + "\n" + self.password + "\n")
        os.chmod(self.creds, 0o600)
        self.ready_file = os.path.join(d, "ready")
        self.stderr_path = os.path.join(d, "stderr.log")
        self.stderr = open(self.stderr_path, "wb")
        self.proc = subprocess.Popen(
            [BINARY, "--listen", "127.0.0.1:0", "--tls-cert", self.cert, "--tls-key", self.key,
             "--credentials-file", self.creds, "--ready-file", self.ready_file, *extra_args],
            stdout=subprocess.PIPE, stderr=self.stderr)
        self.stdout_lines = []
        line = self._readline(START_TIMEOUT)
        prefix = "MTV_VCSIM_URL="
        if not line.startswith(prefix):
            self.stop()
            raise AssertionError("mtv-vcsim did not print its URL; stdout %r, stderr %r"
                                 % (line, self.stderr_text()))
        self.url = line[len(prefix):]
        hostport = self.url.split("//", 1)[1].split("/", 1)[0]
        self.host, port = hostport.rsplit(":", 1)
        self.port = int(port)
        self.sessions = []

    def _readline(self, timeout):
        deadline = time.monotonic() + timeout
        buf = b""
        fd = self.proc.stdout.fileno()
        while not buf.endswith(b"\n"):
            left = deadline - time.monotonic()
            if left <= 0:
                break
            ready, _, _ = select.select([fd], [], [], left)
            if not ready:
                break
            chunk = os.read(fd, 1)
            if not chunk:
                break
            buf += chunk
        line = buf.decode().rstrip("\n")
        self.stdout_lines.append(line)
        return line

    def stderr_text(self):
        self.stderr.flush()
        with open(self.stderr_path, "rb") as f:
            return f.read().decode(errors="replace")

    def ssl_context(self, cafile=None):
        return ssl.create_default_context(cafile=cafile or self.ca)

    def connect(self, user=None, password=None, cafile=None):
        si = SmartConnect(host=self.host, port=self.port, user=user or self.user,
                          pwd=password if password is not None else self.password,
                          sslContext=self.ssl_context(cafile))
        self.sessions.append(si)
        return si

    def stop(self):
        for si in self.sessions:
            try:
                Disconnect(si)
            except Exception:
                pass
        self.sessions = []
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc.stdout.close()
        self.stderr.close()
        self.tmp.cleanup()


# ---------------------------------------------------------------- pyVmomi helpers

def find_vm(si, name):
    content = si.RetrieveContent()
    view = content.viewManager.CreateContainerView(content.rootFolder, [vim.VirtualMachine], True)
    try:
        for vm in view.view:
            if vm.name == name:
                return vm
    finally:
        view.Destroy()
    return None


def all_vm_names(si):
    content = si.RetrieveContent()
    view = content.viewManager.CreateContainerView(content.rootFolder, [vim.VirtualMachine], True)
    try:
        return sorted(vm.name for vm in view.view)
    finally:
        view.Destroy()


def wait_props(si, obj, paths, predicate, timeout=WAIT_TIMEOUT):
    """Watches obj's properties with WaitForUpdatesEx until predicate(values) is true."""
    pc = si.RetrieveContent().propertyCollector.CreatePropertyCollector()
    spec = vmodl.query.PropertyCollector.FilterSpec(
        objectSet=[vmodl.query.PropertyCollector.ObjectSpec(obj=obj)],
        propSet=[vmodl.query.PropertyCollector.PropertySpec(type=type(obj), pathSet=paths)])
    pc.CreateFilter(spec, True)
    values = {}
    version = ""
    deadline = time.monotonic() + timeout
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError("timed out waiting on %s %s; last values %r" % (obj, paths, values))
            options = vmodl.query.PropertyCollector.WaitOptions(maxWaitSeconds=max(1, int(left)))
            update = pc.WaitForUpdatesEx(version, options)
            if update is not None:
                version = update.version
                for fs in update.filterSet:
                    for ou in fs.objectSet:
                        for change in ou.changeSet:
                            values[change.name] = None if change.op == "remove" else change.val
            if predicate(values):
                return values
    finally:
        pc.Destroy()


def wait_task(si, task, timeout=WAIT_TIMEOUT):
    values = wait_props(si, task, ["info.state"],
                        lambda v: v.get("info.state") in ("success", "error"), timeout)
    if values["info.state"] == "error":
        raise AssertionError("task failed: %s" % task.info.error.msg)
    return task.info.result


def clone(si, template, name, extra_config=None, regenerate_macs=True):
    src = find_vm(si, template)
    relocate = vim.vm.RelocateSpec(pool=src.resourcePool, datastore=src.datastore[0])
    config = vim.vm.ConfigSpec()
    if extra_config:
        config.extraConfig = [vim.option.OptionValue(key=k, value=v) for k, v in extra_config]
    if regenerate_macs:
        changes = []
        for dev in src.config.hardware.device:
            if isinstance(dev, vim.vm.device.VirtualEthernetCard):
                dev.addressType = "generated"
                changes.append(vim.vm.device.VirtualDeviceSpec(operation="edit", device=dev))
        config.deviceChange = changes
    spec = vim.vm.CloneSpec(location=relocate, powerOn=False, template=False, config=config)
    return wait_task(si, src.CloneVM_Task(folder=src.parent, name=name, spec=spec))


def destroy(si, vm):
    if vm.runtime.powerState == "poweredOn":
        wait_task(si, vm.PowerOffVM_Task())
    wait_task(si, vm.Destroy_Task())


def disks(vm):
    return sorted((d for d in vm.config.hardware.device if isinstance(d, vim.vm.device.VirtualDisk)),
                  key=lambda d: d.key)


def nics(vm):
    return sorted((d for d in vm.config.hardware.device
                   if isinstance(d, vim.vm.device.VirtualEthernetCard)), key=lambda d: d.key)


def guest_running(values):
    return (values.get("runtime.powerState") == "poweredOn"
            and values.get("guest.toolsRunningStatus") == "guestToolsRunning"
            and values.get("guest.toolsStatus") == "toolsOk"
            and bool(values.get("guest.net")))


GUEST_PATHS = ["runtime.powerState", "guest.toolsStatus", "guest.toolsRunningStatus", "guest.net",
               "guest.ipStack", "guest.ipAddress", "guest.hostName", "guest.guestState"]


# ---------------------------------------------------------------- tests

class QuietTestCase(unittest.TestCase):
    """pyVmomi leaves its HTTPS connections to the garbage collector: silence ResourceWarning."""

    def setUp(self):
        warnings.simplefilter("ignore", ResourceWarning)
        super().setUp()


class VcsimMainTest(QuietTestCase):
    """Shared simulator for the functional checks."""

    @classmethod
    def setUpClass(cls):
        warnings.simplefilter("ignore", ResourceWarning)
        cls.sim = Vcsim()
        cls.addClassCleanup(cls.sim.stop)
        cls.si = cls.sim.connect()

    def track(self, vm):
        self.addCleanup(destroy, self.si, vm)
        return vm

    def test_ready_output_and_no_secrets(self):
        self.assertRegex(self.sim.url, r"^https://127\.0\.0\.1:[0-9]+/sdk$")
        with open(self.sim.ready_file) as f:
            self.assertEqual(f.read().strip(), self.sim.url)
        self.assertEqual(self.sim.stdout_lines, ["MTV_VCSIM_URL=" + self.sim.url])
        self.assertNotIn(self.sim.password, self.sim.url)
        self.assertNotIn(self.sim.user, self.sim.url)
        self.assertNotIn(self.sim.password, self.sim.stderr_text())

    def test_wrong_password_refused(self):
        with self.assertRaises(vim.fault.InvalidLogin):
            self.sim.connect(password=self.sim.password + "x")
        with self.assertRaises(vim.fault.InvalidLogin):
            self.sim.connect(user="user", password="pass")  # vcsim's default login
        self.assertNotIn(self.sim.password, self.sim.stderr_text())

    def test_right_password_accepted(self):
        si = self.sim.connect()
        session = si.RetrieveContent().sessionManager.currentSession
        self.assertEqual(session.userName, self.sim.user)
        self.assertEqual(si.RetrieveContent().about.apiType, "VirtualCenter")

    def test_tls_verified_against_ca(self):
        ctx = self.sim.ssl_context()
        with socket.create_connection((self.sim.host, self.sim.port), timeout=10) as raw:
            with ctx.wrap_socket(raw, server_hostname=self.sim.host) as tls:
                self.assertIsNotNone(tls.getpeercert())
        with self.assertRaises(ssl.SSLCertVerificationError):
            self.sim.connect(cafile=self.sim.other_ca)

    def test_inventory_names(self):
        content = self.si.RetrieveContent()
        view = content.viewManager.CreateContainerView(content.rootFolder, [vim.Datastore], True)
        self.assertEqual(sorted(ds.name for ds in view.view), ["LocalDS_0", "LocalDS_1"])
        view.Destroy()
        view = content.viewManager.CreateContainerView(content.rootFolder, [vim.Network], True)
        names = [n.name for n in view.view]
        view.Destroy()
        self.assertIn("VM Network", names)
        self.assertIn("DC0_DVPG0", names)
        view = content.viewManager.CreateContainerView(content.rootFolder, [vim.ClusterComputeResource], True)
        clusters = list(view.view)
        view.Destroy()
        self.assertEqual([c.name for c in clusters], ["DC0_C0"])
        self.assertGreaterEqual(len(clusters[0].host), 1)
        for name in all_vm_names(self.si):
            self.assertFalse(name.startswith("DC0_"), name)

    def test_templates(self):
        shapes = set()
        for name, (guest_id, ds, ndisks, networks, _static) in TEMPLATES.items():
            vm = find_vm(self.si, name)
            self.assertIsNotNone(vm, name)
            self.assertEqual(vm.runtime.powerState, "poweredOff")
            self.assertEqual(vm.config.guestId, guest_id)
            hw = vm.config.hardware
            shapes.add((hw.numCPU, hw.numCoresPerSocket, hw.memoryMB))
            self.assertEqual(hw.numCPU % hw.numCoresPerSocket, 0)
            ds_list = disks(vm)
            self.assertEqual(len(ds_list), ndisks, name)
            for i, disk in enumerate(ds_list):
                suffix = "" if i == 0 else "_%d" % i
                self.assertEqual(disk.backing.fileName, "[%s] %s/%s%s.vmdk" % (ds, name, name, suffix))
                self.assertEqual(disk.backing.datastore.name, ds)
                self.assertGreater(disk.capacityInKB, 0)
                self.assertEqual(disk.deviceInfo.label, "Hard disk %d" % (i + 1))
                self.assertEqual(disk.key, 2000 + i)
                ctrl = [d for d in hw.device if d.key == disk.controllerKey][0]
                self.assertIsInstance(ctrl, vim.vm.device.VirtualSCSIController)
            nic_list = nics(vm)
            self.assertEqual(len(nic_list), len(networks), name)
            for i, nic in enumerate(nic_list):
                self.assertEqual(nic.deviceInfo.label, "Network adapter %d" % (i + 1))
                self.assertEqual(nic.key, 4000 + i)
            for nic, net in zip(nic_list, networks):
                if isinstance(nic.backing, vim.vm.device.VirtualEthernetCard.NetworkBackingInfo):
                    self.assertEqual(nic.backing.network.name, net)
                else:
                    key = nic.backing.port.portgroupKey
                    pg = vim.dvs.DistributedVirtualPortgroup(key, self.si._stub)
                    self.assertEqual(pg.name, net)
                self.assertRegex(nic.macAddress, r"^00:50:56:[0-9a-f]{2}:[0-9a-f]{2}:[0-9a-f]{2}$")
            self.assertEqual(vm.guest.toolsRunningStatus, "guestToolsNotRunning")
            self.assertFalse(vm.guest.net)
        self.assertEqual(len(shapes), len(TEMPLATES), "every template has its own CPU/memory shape")

    def test_clone_with_cbt_keeps_keys(self):
        template = "mtv-rhel8-warm-2disks2nics"
        src = find_vm(self.si, template)
        src_files = [d.backing.fileName for d in disks(src)]
        src_macs = [n.macAddress for n in nics(src)]
        extra = [("ctkEnabled", "true"), ("scsi0:0.ctkEnabled", "true"), ("scsi0:1.ctkEnabled", "true")]
        name = template + "-cbt-" + secrets.token_hex(3)
        vm = self.track(clone(self.si, template, name, extra))
        self.assertEqual(vm.name, name)
        keys = {o.key: o.value for o in vm.config.extraConfig}
        for k, v in extra:
            self.assertEqual(keys.get(k), v)
        self.assertTrue(vm.config.changeTrackingEnabled)
        self.assertEqual([d.backing.fileName for d in disks(vm)],
                         ["[LocalDS_0] %s/%s.vmdk" % (name, name), "[LocalDS_0] %s/%s_1.vmdk" % (name, name)])
        # vcsim 0.24 edits the source's devices in place while cloning; the main undoes it.
        self.assertEqual([d.backing.fileName for d in disks(src)], src_files)
        clone_macs = [n.macAddress for n in nics(vm)]
        self.assertEqual(len(clone_macs), 2)
        self.assertFalse(set(clone_macs) & set(src_macs), "clone MACs are regenerated")
        self.assertFalse(src.config.changeTrackingEnabled)

    def test_clone_with_added_disk_and_minimal_nic_edit(self):
        src = find_vm(self.si, "mtv-tests-rhel8")
        ds = src.datastore[0]
        disk = vim.vm.device.VirtualDisk(
            key=-101, controllerKey=1000, unitNumber=1, capacityInKB=1024 * 1024,
            backing=vim.vm.device.VirtualDisk.FlatVer2BackingInfo(
                diskMode="persistent", fileName="[LocalDS_0]", datastore=ds, thinProvisioned=True))
        nic = vim.vm.device.VirtualVmxnet3(key=4000, addressType="generated")  # no deviceInfo, no backing
        config = vim.vm.ConfigSpec(
            deviceChange=[vim.vm.device.VirtualDeviceSpec(operation="add", fileOperation="create", device=disk),
                          vim.vm.device.VirtualDeviceSpec(operation="edit", device=nic)],
            extraConfig=[vim.option.OptionValue(key="ctkEnabled", value="true"),
                         vim.option.OptionValue(key="scsi0:0.ctkEnabled", value="true"),
                         vim.option.OptionValue(key="scsi0:1.ctkEnabled", value="true")])
        name = "mtv-tests-rhel8-ad-" + secrets.token_hex(3)
        spec = vim.vm.CloneSpec(location=vim.vm.RelocateSpec(pool=src.resourcePool, datastore=ds),
                                powerOn=False, template=False, config=config)
        vm = self.track(wait_task(self.si, src.CloneVM_Task(folder=src.parent, name=name, spec=spec)))
        got = [(d.key, d.unitNumber, d.backing.fileName, d.deviceInfo.label) for d in disks(vm)]
        self.assertEqual(got, [(2000, 0, "[LocalDS_0] %s/%s.vmdk" % (name, name), "Hard disk 1"),
                               (2001, 1, "[LocalDS_0] %s/%s_1.vmdk" % (name, name), "Hard disk 2")])
        self.assertTrue(vm.config.changeTrackingEnabled)
        (clone_nic,) = nics(vm)
        self.assertEqual(clone_nic.backing.deviceName, "VM Network")
        self.assertEqual(clone_nic.deviceInfo.label, "Network adapter 1")
        self.assertNotEqual(clone_nic.macAddress, nics(src)[0].macAddress)
        self.assertEqual(len(disks(src)), 1)

    def test_clone_to_existing_name_fails(self):
        src = find_vm(self.si, "xcopy-template-test")
        spec = vim.vm.CloneSpec(location=vim.vm.RelocateSpec(pool=src.resourcePool), powerOn=False, template=False)
        task = src.CloneVM_Task(folder=src.parent, name="mtv-tests-rhel8", spec=spec)
        values = wait_props(self.si, task, ["info.state"], lambda v: v.get("info.state") in ("success", "error"))
        self.assertEqual(values["info.state"], "error")
        self.assertIsInstance(task.info.error, vim.fault.DuplicateName)
        self.assertIn("already exists", task.info.error.msg)
        self.assertEqual(all_vm_names(self.si).count("mtv-tests-rhel8"), 1)

    def test_reconfig_extra_config_replaces(self):
        template = "xcopy-template-test"
        vm = self.track(clone(self.si, template, template + "-rc-" + secrets.token_hex(3),
                              [("ctkEnabled", "true")]))
        self.assertTrue(vm.config.changeTrackingEnabled)
        spec = vim.vm.ConfigSpec(extraConfig=[vim.option.OptionValue(key="ctkEnabled", value="false")])
        wait_task(self.si, vm.ReconfigVM_Task(spec=spec))
        values = [o.value for o in vm.config.extraConfig if o.key == "ctkEnabled"]
        self.assertEqual(values, ["false"])
        self.assertFalse(vm.config.changeTrackingEnabled)
        self.assertEqual([d.backing.fileName for d in disks(vm)][0].split(" ")[0], "[LocalDS_1]")

    def test_power_on_guest_facts_and_shutdown(self):
        static_vm = self.track(clone(self.si, "mtv-tests-rhel8", "mtv-tests-rhel8-g-" + secrets.token_hex(3)))
        dhcp_vm = self.track(clone(self.si, "mtv-rhel8-warm-2disks2nics",
                                   "mtv-rhel8-warm-2disks2nics-g-" + secrets.token_hex(3)))
        win_vm = self.track(clone(self.si, "mtv-win2022-ip-3disks", "mtv-win2022-ip-3disks-g-" + secrets.token_hex(3)))
        for vm in (static_vm, dhcp_vm, win_vm):
            wait_task(self.si, vm.PowerOnVM_Task())
        seen_ips = set()
        for vm, static, windows in ((static_vm, True, False), (dhcp_vm, False, False), (win_vm, True, True)):
            values = wait_props(self.si, vm, GUEST_PATHS, guest_running)
            self.assertEqual(values["guest.guestState"], "running")
            self.assertTrue(values["guest.hostName"])
            guest = vm.guest
            self.assertEqual(guest.guestId, vm.config.guestId)
            self.assertEqual(guest.guestFamily, "windowsGuest" if windows else "linuxGuest")
            self.assertTrue(guest.guestFullName)
            dev_nics = nics(vm)
            self.assertEqual(len(guest.net), len(dev_nics))
            for i, (gnic, dnic) in enumerate(zip(guest.net, dev_nics)):
                self.assertEqual(gnic.macAddress, dnic.macAddress)
                self.assertEqual(gnic.deviceConfigId, dnic.key)
                self.assertTrue(gnic.connected)
                self.assertTrue(gnic.network)
                self.assertEqual(len(gnic.ipConfig.ipAddress), 1)
                addr = gnic.ipConfig.ipAddress[0]
                self.assertRegex(addr.ipAddress, r"^127\.42\.[0-9]+\.%d$" % (i + 1))
                self.assertEqual(addr.prefixLength, 24)
                self.assertEqual(addr.origin, "manual" if static else "dhcp")
                self.assertEqual(list(gnic.ipAddress), [addr.ipAddress])
                self.assertNotIn(addr.ipAddress, seen_ips)
                seen_ips.add(addr.ipAddress)
            self.assertEqual(guest.ipAddress, guest.net[0].ipConfig.ipAddress[0].ipAddress)
            self.assertEqual([n.network for n in guest.net],
                             TEMPLATES["mtv-rhel8-warm-2disks2nics"][3] if vm is dhcp_vm else ["VM Network"])
            routes = guest.ipStack[0].ipRouteConfig.ipRoute
            default = [r for r in routes if r.network == "0.0.0.0" and r.prefixLength == 0 and r.gateway.device == "0"]
            self.assertEqual(len(default), 1)
            prefix = guest.net[0].ipConfig.ipAddress[0].ipAddress.rsplit(".", 1)[0]
            self.assertEqual(default[0].gateway.ipAddress, prefix + ".254")

        # A real guest shutdown powers the VM off; the guest facts go away.
        static_vm.ShutdownGuest()
        values = wait_props(self.si, static_vm, GUEST_PATHS,
                            lambda v: v.get("runtime.powerState") == "poweredOff"
                            and v.get("guest.toolsRunningStatus") == "guestToolsNotRunning"
                            and not v.get("guest.net"))
        self.assertFalse(values.get("guest.ipAddress"))
        self.assertFalse(static_vm.guest.ipStack)
        self.assertEqual(static_vm.guest.toolsStatus, "toolsNotRunning")
        # Powered on again: same IPs (stable for the life of the VM).
        before = [n.ipConfig.ipAddress[0].ipAddress for n in dhcp_vm.guest.net]
        wait_task(self.si, dhcp_vm.PowerOffVM_Task())
        self.assertFalse(dhcp_vm.guest.net)
        wait_task(self.si, dhcp_vm.PowerOnVM_Task())
        wait_props(self.si, dhcp_vm, GUEST_PATHS, guest_running)
        self.assertEqual([n.ipConfig.ipAddress[0].ipAddress for n in dhcp_vm.guest.net], before)

    def test_clone_of_clone_inherits_profile(self):
        first = self.track(clone(self.si, "mtv-win2022-ip-3disks", "cc-a-" + secrets.token_hex(3)))
        second = self.track(clone(self.si, first.name, "cc-b-" + secrets.token_hex(3)))
        wait_task(self.si, second.PowerOnVM_Task())
        wait_props(self.si, second, GUEST_PATHS, guest_running)
        self.assertEqual(second.guest.guestFamily, "windowsGuest")
        self.assertEqual(second.guest.net[0].ipConfig.ipAddress[0].origin, "manual")
        self.assertEqual(len(disks(second)), 3)

    def test_destroy_frees_name_and_guest_index(self):
        name = "mtv-tests-rhel8-d-" + secrets.token_hex(3)
        first = clone(self.si, "mtv-tests-rhel8", name)
        wait_task(self.si, first.PowerOnVM_Task())
        wait_props(self.si, first, GUEST_PATHS, guest_running)
        ip = first.guest.ipAddress
        destroy(self.si, first)
        self.assertIsNone(find_vm(self.si, name))
        second = self.track(clone(self.si, "mtv-tests-rhel8", name))  # the name is free again
        wait_task(self.si, second.PowerOnVM_Task())
        wait_props(self.si, second, GUEST_PATHS, guest_running)
        self.assertEqual(second.guest.ipAddress, ip)  # the lowest free index is reused

    def test_snapshots(self):
        vm = self.track(clone(self.si, "mtv-tests-rhel8", "mtv-tests-rhel8-s-" + secrets.token_hex(3)))
        self.assertIsNone(vm.snapshot)
        snap = wait_task(self.si, vm.CreateSnapshot_Task(name="mtv-s1", description="d", memory=False, quiesce=False))
        tree = vm.snapshot.rootSnapshotList
        self.assertEqual([s.name for s in tree], ["mtv-s1"])
        self.assertEqual(vm.snapshot.currentSnapshot, snap)
        task = snap.RemoveSnapshot_Task(removeChildren=False)
        wait_task(self.si, task)
        self.assertEqual(task.info.entity, vm)
        self.assertIsNone(vm.snapshot)

    def test_power_errors_have_messages(self):
        vm = self.track(clone(self.si, "mtv-tests-rhel8", "mtv-tests-rhel8-e-" + secrets.token_hex(3)))
        task = vm.PowerOffVM_Task()
        values = wait_props(self.si, task, ["info.state"], lambda v: v.get("info.state") in ("success", "error"))
        self.assertEqual(values["info.state"], "error")
        self.assertIn("Powered off", task.info.error.msg)
        self.assertEqual(task.info.entityName, vm.name)

    def test_terminate_session(self):
        victim = self.sim.connect()
        victim_content = victim.RetrieveContent()
        key = victim_content.sessionManager.currentSession.key
        self.assertTrue(find_vm(victim, "mtv-tests-rhel8"))
        self.si.RetrieveContent().sessionManager.TerminateSession([key])
        with self.assertRaises(vim.fault.NotAuthenticated):
            victim_content.sessionManager.currentSession  # a property read (RetrievePropertiesEx)
        with self.assertRaises(vim.fault.NotAuthenticated):
            victim_content.rootFolder.childEntity
        # the terminator's session is untouched
        self.assertTrue(find_vm(self.si, "mtv-tests-rhel8"))

    def test_concurrent_sessions_all_see_updates(self):
        vm = self.track(clone(self.si, "mtv-tests-rhel8", "mtv-tests-rhel8-w-" + secrets.token_hex(3)))
        other = self.sim.connect()
        collectors = []
        for si in (self.si, other):
            pc = si.RetrieveContent().propertyCollector  # the per-session default collector
            obj = vim.VirtualMachine(vm._moId, si._stub)
            spec = vmodl.query.PropertyCollector.FilterSpec(
                objectSet=[vmodl.query.PropertyCollector.ObjectSpec(obj=obj)],
                propSet=[vmodl.query.PropertyCollector.PropertySpec(type=vim.VirtualMachine,
                                                                    pathSet=["runtime.powerState"])])
            flt = pc.CreateFilter(spec, True)
            self.addCleanup(flt.Destroy)
            update = pc.WaitForUpdatesEx("", vmodl.query.PropertyCollector.WaitOptions(maxWaitSeconds=5))
            collectors.append((pc, update.version))
        vm.PowerOnVM_Task()
        for pc, version in collectors:
            state = None
            deadline = time.monotonic() + WAIT_TIMEOUT
            while state != "poweredOn" and time.monotonic() < deadline:
                update = pc.WaitForUpdatesEx(version, vmodl.query.PropertyCollector.WaitOptions(maxWaitSeconds=5))
                if update is None:
                    continue
                version = update.version
                for fs in update.filterSet:
                    for ou in fs.objectSet:
                        for ch in ou.changeSet:
                            state = ch.val
            self.assertEqual(state, "poweredOn")


class VcsimLatencyTest(QuietTestCase):
    LATENCY_MS = 150

    def setUp(self):
        super().setUp()
        self.sim = Vcsim("--latency-ms", str(self.LATENCY_MS))
        self.addCleanup(self.sim.stop)

    def test_latency_slows_calls(self):
        si = self.sim.connect()
        t0 = time.monotonic()
        si.CurrentTime()
        elapsed_ms = (time.monotonic() - t0) * 1000
        self.assertGreaterEqual(elapsed_ms, self.LATENCY_MS)


class VcsimSignalTest(QuietTestCase):
    def setUp(self):
        super().setUp()
        self.sim = Vcsim("--guest-ip-prefix", "127.43")
        self.addCleanup(self.sim.stop)

    def test_sigterm_exits_zero_and_frees_port(self):
        si = self.sim.connect()
        vm = find_vm(si, "xcopy-template-test")
        wait_task(si, vm.PowerOnVM_Task())  # left powered on: the shutdown must not care
        wait_props(si, vm, GUEST_PATHS, guest_running)
        self.assertEqual(vm.guest.ipAddress, "127.43.1.1")  # --guest-ip-prefix, first VM index
        self.sim.proc.send_signal(signal.SIGTERM)
        self.assertEqual(self.sim.proc.wait(timeout=15), 0)
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            # like any server (and Go's net.Listen): TIME_WAIT connections do not block a bind
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((self.sim.host, self.sim.port))  # raises if the port were still taken
        with self.assertRaises(OSError):
            socket.create_connection((self.sim.host, self.sim.port), timeout=5).close()


class VcsimBadArgsTest(QuietTestCase):
    def test_guest_ip_prefix_outside_loopback_refused(self):
        build_binary()
        res = subprocess.run([BINARY, "--listen", "127.0.0.1:0", "--tls-cert", "x", "--tls-key", "y",
                              "--credentials-file", "z", "--guest-ip-prefix", "10.1"],
                             capture_output=True, timeout=60)
        self.assertEqual(res.returncode, 2)
        self.assertEqual(res.stdout, b"")
        self.assertIn(b"guest-ip-prefix", res.stderr)

    def test_missing_credentials_file_fails(self):
        build_binary()
        with tempfile.TemporaryDirectory() as d:
            res = subprocess.run([BINARY, "--listen", "127.0.0.1:0", "--tls-cert", os.path.join(d, "x.pem"),
                                  "--tls-key", os.path.join(d, "x.key"),
                                  "--credentials-file", os.path.join(d, "missing")],
                                 capture_output=True, timeout=60)
        self.assertNotEqual(res.returncode, 0)
        self.assertEqual(res.stdout, b"")
        self.assertIn(b"credentials", res.stderr)


if __name__ == "__main__":
    unittest.main()

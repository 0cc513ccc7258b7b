package main

// Guest simulation: what VMware Tools would report for every VM, done inside the vcsim process.
//
// vcsim 0.24 sets no tools status on power-on and keeps vcsim's own guest.net entries (no IPs)
// on powered-off VMs. guestSim is a Registry handler (simulator.RegisterObject): every
// simulator.Map.Update of a VM's runtime.powerState or config.hardware.device reaches
// UpdateObject synchronously.
//   - powered off / suspended: the guest facts are cleared at once, in the same call (the
//     caller holds the VM's lock), so the power task completes with the guest already gone.
//   - powered on: the VM is scheduled; a worker goroutine "boots" it bootDelay later and, under
//     the VM's lock, publishes the facts through simulator.Map.Update, so the PropertyCollector
//     (RetrievePropertiesEx and WaitForUpdatesEx filters) sees them as property changes.
// Guest IPv4s: <prefix>.<vm index>.<nic index + 1>/24, gateway <prefix>.<vm index>.254; the
// VM index is allocated at first power-on, is the lowest free one in 1..254, and stays with
// the VM until it is destroyed.

import (
	"fmt"
	"log"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
)

const (
	bootDelay    = 300 * time.Millisecond
	toolsVersion = "12320" // VMware Tools 12.3.0
	guestDomain  = "mtv.lab"
)

// guestProfile is what a template's guest OS looks like to VMware Tools.
type guestProfile struct {
	Template string // template the profile comes from ("" for the generic fallback)
	Windows  bool
	Static   bool // static IPv4s (origin "manual"); otherwise DHCP (origin "dhcp")
}

type guestSim struct {
	self   types.ManagedObjectReference
	prefix [2]byte
	// Linux guests report no IP origin (open-vm-tools); Windows ones do.
	linuxOriginUnknown bool

	mu        sync.Mutex
	templates map[string]*guestProfile // template name -> profile
	profiles  map[types.ManagedObjectReference]*guestProfile
	index     map[types.ManagedObjectReference]int
	used      [256]bool
	pending   map[types.ManagedObjectReference]time.Time
	wake      chan struct{}
	done      chan struct{}
	stopOnce  sync.Once
}

func newGuestSim(prefix [2]byte) *guestSim {
	return &guestSim{
		self:      types.ManagedObjectReference{Type: "MtvGuestSimulation", Value: "mtv-guest-simulation"},
		prefix:    prefix,
		templates: make(map[string]*guestProfile),
		profiles:  make(map[types.ManagedObjectReference]*guestProfile),
		index:     make(map[types.ManagedObjectReference]int),
		pending:   make(map[types.ManagedObjectReference]time.Time),
		wake:      make(chan struct{}, 1),
		done:      make(chan struct{}),
	}
}

// Reference implements mo.Reference (needed by simulator.RegisterObject).
func (g *guestSim) Reference() types.ManagedObjectReference { return g.self }

// addTemplate records a seeded template and its profile.
func (g *guestSim) addTemplate(ref types.ManagedObjectReference, name string, p *guestProfile) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.templates[name] = p
	g.profiles[ref] = p
}

// inheritProfile gives a clone its source VM's profile (the source may itself be a clone).
func (g *guestSim) inheritProfile(clone, source types.ManagedObjectReference, sourceName string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if p, ok := g.profiles[source]; ok {
		g.profiles[clone] = p
		return
	}
	if p := g.matchTemplateLocked(sourceName); p != nil {
		g.profiles[clone] = p
	}
}

// matchTemplateLocked returns the profile of the longest template name contained in name.
func (g *guestSim) matchTemplateLocked(name string) *guestProfile {
	var best *guestProfile
	bestLen := 0
	for tname, p := range g.templates {
		if len(tname) > bestLen && strings.Contains(name, tname) {
			best, bestLen = p, len(tname)
		}
	}
	return best
}

// profileFor implements the clone -> profile rule (see docs/lab-vcsim.md):
// 1. the profile recorded for the VM (seeded template, or inherited from the CloneVM_Task source),
// 2. else the longest template name contained in the VM's name,
// 3. else a generic DHCP profile (Windows when the guest id says so).
func (g *guestSim) profileFor(ref types.ManagedObjectReference, name, guestID string) *guestProfile {
	g.mu.Lock()
	defer g.mu.Unlock()
	if p, ok := g.profiles[ref]; ok {
		return p
	}
	p := g.matchTemplateLocked(name)
	if p == nil {
		p = &guestProfile{Windows: strings.HasPrefix(strings.ToLower(guestID), "win")}
	}
	g.profiles[ref] = p
	return p
}

// indexFor returns the VM's guest index (1..254), allocating the lowest free one.
func (g *guestSim) indexFor(ref types.ManagedObjectReference) (int, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if i, ok := g.index[ref]; ok {
		return i, true
	}
	for i := 1; i <= 254; i++ {
		if !g.used[i] {
			g.used[i] = true
			g.index[ref] = i
			return i, true
		}
	}
	return 0, false
}

func (g *guestSim) schedule(ref types.ManagedObjectReference, at time.Time) {
	g.mu.Lock()
	if old, ok := g.pending[ref]; !ok || at.Before(old) {
		g.pending[ref] = at
	}
	g.mu.Unlock()
	select {
	case g.wake <- struct{}{}:
	default:
	}
}

func (g *guestSim) stop() {
	g.stopOnce.Do(func() { close(g.done) })
}

// PutObject implements simulator.RegisterObject.
func (g *guestSim) PutObject(mo.Reference) {}

// RemoveObject implements simulator.RegisterObject: a destroyed VM frees its index.
func (g *guestSim) RemoveObject(ref types.ManagedObjectReference) {
	if ref.Type != "VirtualMachine" {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if i, ok := g.index[ref]; ok {
		g.used[i] = false
		delete(g.index, ref)
	}
	delete(g.profiles, ref)
	delete(g.pending, ref)
}

// UpdateObject implements simulator.RegisterObject. It runs synchronously inside
// simulator.Map.Update, in the goroutine that changes the VM (which holds the VM's lock).
func (g *guestSim) UpdateObject(obj mo.Reference, changes []types.PropertyChange) {
	ref := obj.Reference()
	if ref.Type != "VirtualMachine" {
		return
	}
	power, devices := false, false
	for i := range changes {
		switch changes[i].Name {
		case "runtime.powerState":
			power = true
		case "config.hardware.device":
			devices = true
		}
	}
	if !power && !devices {
		return
	}
	vm, ok := obj.(*mo.VirtualMachine)
	if !ok || vm.Config == nil {
		return
	}
	switch vm.Runtime.PowerState {
	case types.VirtualMachinePowerStatePoweredOn:
		at := time.Now()
		if power {
			at = at.Add(bootDelay)
		}
		g.schedule(ref, at)
	case types.VirtualMachinePowerStatePoweredOff, types.VirtualMachinePowerStateSuspended:
		g.applyOff(vm)
	}
}

// run is the worker publishing the guest facts of VMs that were powered on.
func (g *guestSim) run() {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		now := time.Now()
		var due []types.ManagedObjectReference
		next := now.Add(time.Hour)
		g.mu.Lock()
		for ref, at := range g.pending {
			if !at.After(now) {
				due = append(due, ref)
				delete(g.pending, ref)
			} else if at.Before(next) {
				next = at
			}
		}
		g.mu.Unlock()

		for _, ref := range due {
			g.boot(ref)
		}
		if len(due) != 0 {
			continue
		}

		if !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
		timer.Reset(next.Sub(now))
		select {
		case <-g.done:
			return
		case <-g.wake:
		case <-timer.C:
		}
	}
}

func (g *guestSim) boot(ref types.ManagedObjectReference) {
	vm, ok := simulator.Map.Get(ref).(*simulator.VirtualMachine)
	if !ok {
		return
	}
	simulator.Map.WithLock(vm, func() {
		if vm.Runtime.PowerState != types.VirtualMachinePowerStatePoweredOn || vm.Config == nil {
			return
		}
		g.applyOn(&vm.VirtualMachine)
	})
}

// guestFullName maps a guest id to the name VMware Tools reports.
func guestFullName(id string) string {
	names := map[string]string{
		"rhel8_64Guest":              "Red Hat Enterprise Linux 8 (64-bit)",
		"rhel9_64Guest":              "Red Hat Enterprise Linux 9 (64-bit)",
		"rhel7_64Guest":              "Red Hat Enterprise Linux 7 (64-bit)",
		"centos8_64Guest":            "CentOS 8 (64-bit)",
		"windows2019srvNext_64Guest": "Microsoft Windows Server 2022 (64-bit)",
		"windows2019srv_64Guest":     "Microsoft Windows Server 2019 (64-bit)",
		"windows9Server64Guest":      "Microsoft Windows Server 2016 or later (64-bit)",
		"windows9_64Guest":           "Microsoft Windows 10 (64-bit)",
		"otherGuest":                 "Other (32-bit)",
		"otherGuest64":               "Other (64-bit)",
		"otherLinux64Guest":          "Other Linux (64-bit)",
	}
	if n, ok := names[id]; ok {
		return n
	}
	return id
}

func guestFamily(windows bool) string {
	if windows {
		return string(types.VirtualMachineGuestOsFamilyWindowsGuest)
	}
	return string(types.VirtualMachineGuestOsFamilyLinuxGuest)
}

// hostNameFor derives the guest host name from the VM name (DNS label; NetBIOS length on Windows).
func hostNameFor(name string, windows bool) string {
	var b strings.Builder
	for _, r := range strings.ToLower(name) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		default:
			b.WriteRune('-')
		}
	}
	h := strings.Trim(b.String(), "-")
	max := 63
	if windows {
		max = 15
		h = strings.ToUpper(h)
	}
	if len(h) > max {
		h = strings.TrimRight(h[:max], "-")
	}
	if h == "" {
		h = "localhost"
	}
	return h
}

type nicInfo struct {
	key       int32
	mac       string
	network   string
	connected bool
}

// vmNICs lists the VM's ethernet cards ordered by device key.
func vmNICs(vm *mo.VirtualMachine) []nicInfo {
	var nics []nicInfo
	for _, d := range vm.Config.Hardware.Device {
		card, ok := d.(types.BaseVirtualEthernetCard)
		if !ok {
			continue
		}
		c := card.GetVirtualEthernetCard()
		n := nicInfo{key: c.Key, mac: c.MacAddress, connected: true}
		if c.Connectable != nil {
			n.connected = c.Connectable.Connected || c.Connectable.StartConnected
		}
		n.network = nicNetworkName(c.Backing)
		nics = append(nics, n)
	}
	sort.Slice(nics, func(i, j int) bool { return nics[i].key < nics[j].key })
	return nics
}

func nicNetworkName(backing types.BaseVirtualDeviceBackingInfo) string {
	switch b := backing.(type) {
	case *types.VirtualEthernetCardNetworkBackingInfo:
		if b.DeviceName != "" {
			return b.DeviceName
		}
		if b.Network != nil {
			if n, ok := simulator.Map.Get(*b.Network).(mo.Entity); ok {
				return n.Entity().Name
			}
		}
	case *types.VirtualEthernetCardDistributedVirtualPortBackingInfo:
		ref := types.ManagedObjectReference{Type: "DistributedVirtualPortgroup", Value: b.Port.PortgroupKey}
		if pg, ok := simulator.Map.Get(ref).(*simulator.DistributedVirtualPortgroup); ok {
			return pg.Name
		}
		return "DVS-" + b.Port.PortgroupKey
	case *types.VirtualEthernetCardOpaqueNetworkBackingInfo:
		return b.OpaqueNetworkId
	}
	return ""
}

// applyOn publishes the facts of a running guest. Caller holds the VM's lock.
func (g *guestSim) applyOn(vm *mo.VirtualMachine) {
	ref := vm.Self
	p := g.profileFor(ref, vm.Name, vm.Config.GuestId)
	idx, ok := g.indexFor(ref)
	if !ok {
		log.Printf("guest simulation: no free guest IP index for %s (%s)", vm.Name, ref.Value)
		return
	}
	origin := string(types.NetIpConfigInfoIpAddressOriginDhcp)
	if p.Static {
		origin = string(types.NetIpConfigInfoIpAddressOriginManual)
	}
	if g.linuxOriginUnknown && !p.Windows {
		origin = ""
	}
	host := hostNameFor(vm.Name, p.Windows)
	gateway := fmt.Sprintf("%d.%d.%d.254", g.prefix[0], g.prefix[1], idx)
	subnet := fmt.Sprintf("%d.%d.%d.0", g.prefix[0], g.prefix[1], idx)

	var nets []types.GuestNicInfo
	var routes []types.NetIpRouteConfigInfoIpRoute
	firstIP := ""
	for i, n := range vmNICs(vm) {
		ip := fmt.Sprintf("%d.%d.%d.%d", g.prefix[0], g.prefix[1], idx, i+1)
		if firstIP == "" && n.connected {
			firstIP = ip
		}
		dhcp := !p.Static
		nets = append(nets, types.GuestNicInfo{
			Network:        n.network,
			IpAddress:      []string{ip},
			MacAddress:     n.mac,
			Connected:      n.connected,
			DeviceConfigId: n.key,
			DnsConfig: &types.NetDnsConfigInfo{
				Dhcp:       dhcp,
				HostName:   host,
				DomainName: guestDomain,
				IpAddress:  []string{gateway},
			},
			IpConfig: &types.NetIpConfigInfo{
				IpAddress: []types.NetIpConfigInfoIpAddress{{
					IpAddress:    ip,
					PrefixLength: 24,
					Origin:       origin,
					State:        string(types.NetIpConfigInfoIpAddressStatusPreferred),
				}},
				Dhcp: &types.NetDhcpConfigInfo{
					Ipv4: &types.NetDhcpConfigInfoDhcpOptions{Enable: dhcp},
				},
			},
		})
		dev := fmt.Sprint(i)
		routes = append(routes,
			types.NetIpRouteConfigInfoIpRoute{
				Network:      "0.0.0.0",
				PrefixLength: 0,
				Gateway:      types.NetIpRouteConfigInfoGateway{IpAddress: gateway, Device: dev},
			},
			types.NetIpRouteConfigInfoIpRoute{
				Network:      subnet,
				PrefixLength: 24,
				Gateway:      types.NetIpRouteConfigInfoGateway{Device: dev},
			})
	}
	var stack []types.GuestStackInfo
	if len(nets) != 0 {
		stack = []types.GuestStackInfo{{
			DnsConfig: &types.NetDnsConfigInfo{
				Dhcp:         !p.Static,
				HostName:     host,
				DomainName:   guestDomain,
				IpAddress:    []string{gateway},
				SearchDomain: []string{guestDomain},
			},
			IpRouteConfig: &types.NetIpRouteConfigInfo{IpRoute: routes},
		}}
	}

	guestID := vm.Config.GuestId
	fullName := guestFullName(guestID)
	family := guestFamily(p.Windows)
	changes := []types.PropertyChange{
		{Name: "guest.toolsStatus", Val: types.VirtualMachineToolsStatusToolsOk},
		{Name: "guest.toolsVersionStatus", Val: string(types.VirtualMachineToolsVersionStatusGuestToolsCurrent)},
		{Name: "guest.toolsVersionStatus2", Val: string(types.VirtualMachineToolsVersionStatusGuestToolsCurrent)},
		{Name: "guest.toolsRunningStatus", Val: string(types.VirtualMachineToolsRunningStatusGuestToolsRunning)},
		{Name: "guest.toolsVersion", Val: toolsVersion},
		{Name: "guest.toolsInstallType", Val: "guestToolsTypeOpenVMTools"},
		{Name: "guest.guestId", Val: guestID},
		{Name: "guest.guestFamily", Val: family},
		{Name: "guest.guestFullName", Val: fullName},
		{Name: "guest.hostName", Val: host},
		{Name: "guest.ipAddress", Val: firstIP},
		{Name: "guest.net", Val: nets},
		{Name: "guest.ipStack", Val: stack},
		{Name: "guest.guestState", Val: string(types.VirtualMachineGuestStateRunning)},
		{Name: "guest.guestOperationsReady", Val: false},
		{Name: "summary.guest.guestId", Val: guestID},
		{Name: "summary.guest.guestFullName", Val: fullName},
		{Name: "summary.guest.toolsStatus", Val: types.VirtualMachineToolsStatusToolsOk},
		{Name: "summary.guest.toolsVersionStatus", Val: string(types.VirtualMachineToolsVersionStatusGuestToolsCurrent)},
		{Name: "summary.guest.toolsVersionStatus2", Val: string(types.VirtualMachineToolsVersionStatusGuestToolsCurrent)},
		{Name: "summary.guest.toolsRunningStatus", Val: string(types.VirtualMachineToolsRunningStatusGuestToolsRunning)},
		{Name: "summary.guest.hostName", Val: host},
		{Name: "summary.guest.ipAddress", Val: firstIP},
		{Name: "summary.quickStats.guestHeartbeatStatus", Val: types.ManagedEntityStatusGreen},
	}
	if p.Windows {
		changes[5].Val = "guestToolsTypeMSI"
	}
	if firstIP == "" {
		changes[10].Val = nil
		changes[22].Val = nil
	}
	if len(nets) == 0 {
		changes[11].Val = nil
		changes[12].Val = nil
	}
	simulator.Map.Update(vm, changes)
}

// applyOff removes the running-guest facts (tools not running, no network). Called from
// UpdateObject in the goroutine that powered the VM off (it holds the VM's lock).
func (g *guestSim) applyOff(vm *mo.VirtualMachine) {
	g.mu.Lock()
	delete(g.pending, vm.Self)
	g.mu.Unlock()

	guest := vm.Guest
	if guest != nil && guest.ToolsRunningStatus == string(types.VirtualMachineToolsRunningStatusGuestToolsNotRunning) &&
		guest.ToolsStatus == types.VirtualMachineToolsStatusToolsNotRunning &&
		len(guest.Net) == 0 && guest.IpAddress == "" && len(guest.IpStack) == 0 &&
		guest.GuestState == string(types.VirtualMachineGuestStateNotRunning) {
		return // already off: nothing to publish (also ends the recursion through Map.Update)
	}
	guestID := vm.Config.GuestId
	fullName := guestFullName(guestID)
	windows := strings.HasPrefix(strings.ToLower(guestID), "win")
	changes := []types.PropertyChange{
		{Name: "guest.toolsStatus", Val: types.VirtualMachineToolsStatusToolsNotRunning},
		{Name: "guest.toolsRunningStatus", Val: string(types.VirtualMachineToolsRunningStatusGuestToolsNotRunning)},
		{Name: "guest.toolsVersion", Val: toolsVersion},
		{Name: "guest.guestId", Val: guestID},
		{Name: "guest.guestFamily", Val: guestFamily(windows)},
		{Name: "guest.guestFullName", Val: fullName},
		{Name: "guest.hostName", Val: nil},
		{Name: "guest.ipAddress", Val: nil},
		{Name: "guest.net", Val: nil},
		{Name: "guest.ipStack", Val: nil},
		{Name: "guest.guestState", Val: string(types.VirtualMachineGuestStateNotRunning)},
		{Name: "guest.guestOperationsReady", Val: false},
		{Name: "summary.guest.guestId", Val: guestID},
		{Name: "summary.guest.guestFullName", Val: fullName},
		{Name: "summary.guest.toolsStatus", Val: types.VirtualMachineToolsStatusToolsNotRunning},
		{Name: "summary.guest.toolsRunningStatus", Val: string(types.VirtualMachineToolsRunningStatusGuestToolsNotRunning)},
		{Name: "summary.guest.hostName", Val: nil},
		{Name: "summary.guest.ipAddress", Val: nil},
		{Name: "summary.quickStats.guestHeartbeatStatus", Val: types.ManagedEntityStatusGray},
	}
	simulator.Map.Update(vm, changes)
}

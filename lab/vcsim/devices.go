package main

// Device keys and labels as vCenter assigns them (vcsim: keys from a negative counter, e.g.
// 202 for an added disk, and labels like "disk-1000-1" or "ethernet--7").

import (
	"fmt"
	"sort"
	"strings"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/types"
)

// keyBase is the first device key vCenter uses for a device type (0: leave it to vcsim).
func keyBase(d types.BaseVirtualDevice) int32 {
	switch d.(type) {
	case *types.VirtualDisk:
		return 2000
	case types.BaseVirtualEthernetCard:
		return 4000
	case types.BaseVirtualSCSIController:
		return 1000
	case *types.VirtualAHCIController:
		return 15000
	case *types.VirtualNVMEController:
		return 31000
	}
	return 0
}

// normalizeAddKeys gives the devices added with a temporary (<= 0) key the key vCenter would
// (first free one from the type's base) and rewrites controllerKey references to them.
// Returns true when a spec was changed.
func normalizeAddKeys(changes []types.BaseVirtualDeviceConfigSpec, existing object.VirtualDeviceList) bool {
	used := make(map[int32]bool)
	for _, d := range existing {
		used[d.GetVirtualDevice().Key] = true
	}
	for _, c := range changes {
		if spec := c.GetVirtualDeviceConfigSpec(); spec.Device != nil && spec.Device.GetVirtualDevice().Key > 0 {
			used[spec.Device.GetVirtualDevice().Key] = true
		}
	}
	remap := make(map[int32]int32)
	for _, c := range changes {
		spec := c.GetVirtualDeviceConfigSpec()
		if spec.Operation != types.VirtualDeviceConfigSpecOperationAdd || spec.Device == nil {
			continue
		}
		d := spec.Device.GetVirtualDevice()
		base := keyBase(spec.Device)
		if d.Key > 0 || base == 0 {
			continue
		}
		k := base
		for used[k] {
			k++
		}
		used[k] = true
		if d.Key != 0 {
			remap[d.Key] = k
		}
		d.Key = k
	}
	changed := len(remap) != 0
	for _, c := range changes {
		spec := c.GetVirtualDeviceConfigSpec()
		if spec.Device == nil {
			continue
		}
		d := spec.Device.GetVirtualDevice()
		if k, ok := remap[d.ControllerKey]; ok {
			d.ControllerKey = k
		}
	}
	// a device whose key was assigned without a remap entry (key 0) still changed the spec
	for _, c := range changes {
		spec := c.GetVirtualDeviceConfigSpec()
		if spec.Operation == types.VirtualDeviceConfigSpecOperationAdd && spec.Device != nil &&
			keyBase(spec.Device) != 0 {
			changed = true
		}
	}
	return changed
}

var labelPrefixes = []struct {
	match  func(types.BaseVirtualDevice) bool
	prefix string
}{
	{func(d types.BaseVirtualDevice) bool { _, ok := d.(*types.VirtualDisk); return ok }, "Hard disk "},
	{func(d types.BaseVirtualDevice) bool { _, ok := d.(types.BaseVirtualEthernetCard); return ok }, "Network adapter "},
}

// fixDeviceLabels names disks "Hard disk N", NICs "Network adapter N" and SCSI controllers
// "SCSI controller <bus>" where vcsim left its own labels. Caller holds the VM's lock.
func fixDeviceLabels(vm *simulator.VirtualMachine) {
	devices := vm.Config.Hardware.Device
	sorted := make([]types.BaseVirtualDevice, len(devices))
	copy(sorted, devices)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].GetVirtualDevice().Key < sorted[j].GetVirtualDevice().Key })
	changed := false
	setLabel := func(d *types.VirtualDevice, label string) {
		if d.DeviceInfo == nil {
			d.DeviceInfo = &types.Description{}
		}
		desc := d.DeviceInfo.GetDescription()
		if desc.Label != label {
			desc.Label = label
			changed = true
		}
	}
	for _, lp := range labelPrefixes {
		max := 0
		for _, dev := range sorted {
			if !lp.match(dev) {
				continue
			}
			d := dev.GetVirtualDevice()
			if d.DeviceInfo != nil {
				var n int
				if _, err := fmt.Sscanf(d.DeviceInfo.GetDescription().Label, lp.prefix+"%d", &n); err == nil && n > max {
					max = n
				}
			}
		}
		for _, dev := range sorted {
			if !lp.match(dev) {
				continue
			}
			d := dev.GetVirtualDevice()
			if d.DeviceInfo != nil && strings.HasPrefix(d.DeviceInfo.GetDescription().Label, lp.prefix) {
				continue
			}
			max++
			setLabel(d, fmt.Sprintf("%s%d", lp.prefix, max))
		}
	}
	for _, dev := range sorted {
		if c, ok := dev.(types.BaseVirtualSCSIController); ok {
			sc := c.GetVirtualSCSIController()
			setLabel(&sc.VirtualDevice, fmt.Sprintf("SCSI controller %d", sc.BusNumber))
		}
	}
	if changed {
		simulator.Map.Update(vm, []types.PropertyChange{
			{Name: "config.hardware.device", Val: vm.Config.Hardware.Device},
		})
	}
}

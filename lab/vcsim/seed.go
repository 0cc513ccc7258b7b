package main

// The seeded inventory: four templates (ordinary powered-off VMs) matching the warm scenarios.

import (
	"context"
	"fmt"
	"sync/atomic"

	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/types"
)

type nicSpec struct {
	network string // "VM Network" (standard) or "DC0_DVPG0" (distributed port group)
	kind    string // vmxnet3 | e1000e
}

type templateSpec struct {
	name      string
	guestID   string
	cpus      int32
	cores     int32 // cores per socket
	memoryMB  int64
	firmware  string
	scsi      string // pvscsi | lsilogic-sas
	datastore string
	diskGiB   []int64
	nics      []nicSpec
	profile   guestProfile
}

var seedTemplates = []templateSpec{
	{
		name: "mtv-tests-rhel8", guestID: "rhel8_64Guest",
		cpus: 2, cores: 2, memoryMB: 2048, firmware: "bios", scsi: "pvscsi",
		datastore: "LocalDS_0", diskGiB: []int64{1},
		nics:    []nicSpec{{"VM Network", "vmxnet3"}},
		profile: guestProfile{Template: "mtv-tests-rhel8", Static: true},
	},
	{
		name: "mtv-rhel8-warm-2disks2nics", guestID: "rhel8_64Guest",
		cpus: 2, cores: 1, memoryMB: 3072, firmware: "bios", scsi: "pvscsi",
		datastore: "LocalDS_0", diskGiB: []int64{1, 2},
		nics:    []nicSpec{{"VM Network", "vmxnet3"}, {"DC0_DVPG0", "vmxnet3"}},
		profile: guestProfile{Template: "mtv-rhel8-warm-2disks2nics"},
	},
	{
		name: "mtv-win2022-ip-3disks", guestID: "windows2019srvNext_64Guest",
		cpus: 4, cores: 4, memoryMB: 4096, firmware: "efi", scsi: "lsilogic-sas",
		datastore: "LocalDS_0", diskGiB: []int64{2, 1, 1},
		nics:    []nicSpec{{"VM Network", "e1000e"}},
		profile: guestProfile{Template: "mtv-win2022-ip-3disks", Windows: true, Static: true},
	},
	{
		name: "xcopy-template-test", guestID: "rhel8_64Guest",
		cpus: 1, cores: 1, memoryMB: 1024, firmware: "bios", scsi: "pvscsi",
		datastore: "LocalDS_1", diskGiB: []int64{1},
		nics:    []nicSpec{{"VM Network", "vmxnet3"}},
		profile: guestProfile{Template: "xcopy-template-test"},
	},
}

var macCounter uint32

// newMAC returns a vCenter-style generated MAC (00:50:56:80:00:00 - 00:50:56:bf:ff:ff),
// unique within this process.
func newMAC() string {
	n := atomic.AddUint32(&macCounter, 1)
	return fmt.Sprintf("00:50:56:%02x:%02x:%02x", 0x80|byte((n>>16)&0x3f), byte(n>>8), byte(n))
}

func seedInventory(model *simulator.Model, gs *guestSim) error {
	ctx := context.Background()
	c, err := vim25.NewClient(ctx, model.Service)
	if err != nil {
		return err
	}
	finder := find.NewFinder(c, false)
	dc, err := finder.Datacenter(ctx, "DC0")
	if err != nil {
		return err
	}
	finder.SetDatacenter(dc)
	folders, err := dc.Folders(ctx)
	if err != nil {
		return err
	}
	cluster, err := finder.ClusterComputeResource(ctx, "DC0_C0")
	if err != nil {
		return err
	}
	pool, err := cluster.ResourcePool(ctx)
	if err != nil {
		return err
	}
	dvpg, err := finder.Network(ctx, "DC0_DVPG0")
	if err != nil {
		return err
	}
	dvpgBacking, err := dvpg.EthernetCardBackingInfo(ctx)
	if err != nil {
		return err
	}
	stdNet, err := finder.Network(ctx, "VM Network")
	if err != nil {
		return err
	}
	stdRef := stdNet.Reference()

	for _, t := range seedTemplates {
		ds, err := finder.Datastore(ctx, t.datastore)
		if err != nil {
			return err
		}
		dsRef := ds.Reference()

		var devices []types.BaseVirtualDevice
		const scsiKey = 1000
		ctrl, err := object.VirtualDeviceList(nil).CreateSCSIController(t.scsi)
		if err != nil {
			return err
		}
		sc := ctrl.(types.BaseVirtualSCSIController).GetVirtualSCSIController()
		sc.Key = scsiKey
		sc.BusNumber = 0
		sc.SharedBus = types.VirtualSCSISharingNoSharing
		devices = append(devices, ctrl)

		for i, gib := range t.diskGiB {
			file := fmt.Sprintf("[%s] %s/%s.vmdk", t.datastore, t.name, t.name)
			if i > 0 {
				file = fmt.Sprintf("[%s] %s/%s_%d.vmdk", t.datastore, t.name, t.name, i)
			}
			unit := int32(i)
			ds := dsRef
			devices = append(devices, &types.VirtualDisk{
				VirtualDevice: types.VirtualDevice{
					Key:           int32(2000 + i),
					ControllerKey: scsiKey,
					UnitNumber:    &unit,
					Backing: &types.VirtualDiskFlatVer2BackingInfo{
						VirtualDeviceFileBackingInfo: types.VirtualDeviceFileBackingInfo{
							FileName:  file,
							Datastore: &ds,
						},
						DiskMode:        string(types.VirtualDiskModePersistent),
						ThinProvisioned: types.NewBool(true),
					},
				},
				CapacityInKB:    gib * 1024 * 1024,
				CapacityInBytes: gib * 1024 * 1024 * 1024,
			})
		}

		for i, n := range t.nics {
			var backing types.BaseVirtualDeviceBackingInfo
			if n.network == "VM Network" {
				net := stdRef
				backing = &types.VirtualEthernetCardNetworkBackingInfo{
					VirtualDeviceDeviceBackingInfo: types.VirtualDeviceDeviceBackingInfo{DeviceName: n.network},
					Network:                        &net,
				}
			} else {
				backing = dvpgBacking
			}
			card, err := object.VirtualDeviceList(nil).CreateEthernetCard(n.kind, backing)
			if err != nil {
				return err
			}
			ec := card.(types.BaseVirtualEthernetCard).GetVirtualEthernetCard()
			ec.Key = int32(4000 + i)
			ec.AddressType = string(types.VirtualEthernetCardMacTypeGenerated)
			ec.MacAddress = newMAC()
			ec.Connectable = &types.VirtualDeviceConnectInfo{StartConnected: true, AllowGuestControl: true}
			devices = append(devices, card)
		}

		spec := types.VirtualMachineConfigSpec{
			Name:              t.name,
			GuestId:           t.guestID,
			NumCPUs:           t.cpus,
			NumCoresPerSocket: t.cores,
			MemoryMB:          t.memoryMB,
			Firmware:          t.firmware,
			Annotation:        "mtvtest lab template",
			Files:             &types.VirtualMachineFileInfo{VmPathName: "[" + t.datastore + "]"},
		}
		spec.DeviceChange, err = object.VirtualDeviceList(devices).ConfigSpec(types.VirtualDeviceConfigSpecOperationAdd)
		if err != nil {
			return err
		}
		task, err := folders.VmFolder.CreateVM(ctx, spec, pool, nil)
		if err != nil {
			return fmt.Errorf("create %s: %v", t.name, err)
		}
		info, err := task.WaitForResult(ctx, nil)
		if err != nil {
			return fmt.Errorf("create %s: %v", t.name, err)
		}
		ref := info.Result.(types.ManagedObjectReference)
		p := t.profile
		gs.addTemplate(ref, t.name, &p)

		vm := simulator.Map.Get(ref).(*simulator.VirtualMachine)
		simulator.Map.WithLock(vm, func() {
			fixGuestFullName(vm)
			fixDeviceLabels(vm)
		})
	}
	return nil
}

// fixGuestFullName replaces vcsim's config.guestFullName (= the guest id) by the real name.
// Caller holds the VM's lock.
func fixGuestFullName(vm *simulator.VirtualMachine) {
	if vm.Config == nil || vm.Config.GuestId == "" {
		return
	}
	full := guestFullName(vm.Config.GuestId)
	if vm.Config.GuestFullName == full {
		return
	}
	simulator.Map.Update(vm, []types.PropertyChange{
		{Name: "config.guestFullName", Val: full},
		{Name: "summary.config.guestFullName", Val: full},
	})
}

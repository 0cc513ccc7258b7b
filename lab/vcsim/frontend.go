package main

// The HTTPS front end: vcsim's own /sdk handler (simulator.Service.ServeSDK) behind a thin layer
// that fixes what vcsim 0.24 gets wrong for the mtvtest flow:
//   - sessions are enforced on every method except RetrieveServiceContent/Login/CloneSession
//     (vcsim lets RetrieveProperties(Ex) run without a session, so a terminated session would
//     never see NotAuthenticated); LoginByToken and LoginExtensionByCertificate are refused
//     (only the configured user/password may log in);
//   - CloneVM_Task: vcsim clears the template's disk backings in place and shares the device
//     objects between template and clone (the template ends up showing the clone's file names);
//     the template's devices are restored after the clone. The clone keeps the CBT extraConfig
//     keys and gets config.changeTrackingEnabled from ctkEnabled; NIC MACs copied from the
//     source are regenerated; the clone inherits the source's guest profile;
//   - ReconfigVM_Task: extraConfig is merged like vSphere does (same key replaces, empty value
//     removes; vcsim only appends) and ctkEnabled drives config.changeTrackingEnabled;
//   - "edit" device changes that omit deviceInfo/backing/connectable are completed from the
//     existing device (vcsim dereferences a nil deviceInfo and panics);
//   - a panic inside vcsim becomes a SystemError fault instead of a dropped connection.

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"io/ioutil"
	"log"
	"net/http"
	"net/url"
	"reflect"
	"regexp"
	"strings"
	"time"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
	vimxml "github.com/vmware/govmomi/vim25/xml"
)

const maxRequestBytes = 32 << 20

type frontend struct {
	delay time.Duration // --latency-ms, also applied to the answers given here
	svc   *simulator.Service
	mux   *http.ServeMux
	user  string
	gs    *guestSim
	pcf   *pcFanout // nil when the Registry layout is not the expected one
}

func newFrontend(svc *simulator.Service, user, pass, hostPort string, gs *guestSim, delay time.Duration) *frontend {
	// What simulator.Service.NewServer would do, minus starting its own listener.
	svc.Listen = &url.URL{Scheme: "https", Host: hostPort, Path: "/sdk", User: url.UserPassword(user, pass)}
	svc.RegisterSDK(simulator.Map) // creates svc.ServeMux with /sdk
	svc.ServeMux.HandleFunc(simulator.Map.Path+"/vimServiceVersions.xml", svc.ServiceVersions)
	svc.ServeMux.HandleFunc("/folder/", svc.ServeDatastore)
	svc.ServeMux.HandleFunc("/about", svc.About)
	simulator.Map.SessionManager().ServiceHostName = hostPort
	f := &frontend{svc: svc, mux: svc.ServeMux, user: user, gs: gs, delay: delay}
	pcf, err := newPCFanout()
	if err != nil {
		log.Printf("warning: PropertyCollector fan-out disabled: %v", err)
	} else {
		f.pcf = pcf
		simulator.Map.AddHandler(pcf)
		if !pcf.canClear {
			log.Printf("warning: PropertyCollector layout changed: stale updates are not cleared")
		}
	}
	return f
}

// Methods callable without a session.
var sessionless = map[string]bool{
	"RetrieveServiceContent": true,
	"Login":                  true,
	"CloneSession":           true,
}

// Login methods that would bypass the configured credentials.
var refusedLogins = map[string]bool{
	"LoginByToken":                true,
	"LoginExtensionByCertificate": true,
	"LoginBySSPI":                 true,
}

type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }
func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
}
func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.body.Write(b)
}

func (f *frontend) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != simulator.Map.Path || r.Method != http.MethodPost {
		f.mux.ServeHTTP(w, r)
		return
	}
	body, err := ioutil.ReadAll(io.LimitReader(r.Body, maxRequestBytes+1))
	_ = r.Body.Close()
	if err != nil || len(body) > maxRequestBytes {
		http.Error(w, "bad request body", http.StatusBadRequest)
		return
	}
	name, this := peekMethod(body)

	early := func() {
		if f.delay > 0 {
			time.Sleep(f.delay)
		}
	}
	if refusedLogins[name] {
		early()
		writeFault(w, "Cannot complete login due to an incorrect user name or password.",
			`<InvalidLoginFault xmlns="urn:vim25" xsi:type="InvalidLogin"></InvalidLoginFault>`)
		return
	}
	if name != "" && !sessionless[name] && !f.sessionActive(r) {
		early()
		writeFault(w, "The session is not authenticated.", fmt.Sprintf(
			`<NotAuthenticatedFault xmlns="urn:vim25" xsi:type="NotAuthenticated"><object type="%s">%s</object><privilegeId>System.View</privilegeId></NotAuthenticatedFault>`,
			xmlEscape(this.Type), xmlEscape(this.Value)))
		return
	}

	switch name {
	case "ShutdownGuest", "RebootGuest", "StandbyGuest":
		if !toolsRunningOrOff(this) {
			early()
			writeFault(w, "Cannot complete operation because VMware Tools is not running in this virtual machine.",
				`<ToolsUnavailableFault xmlns="urn:vim25" xsi:type="ToolsUnavailable"></ToolsUnavailableFault>`)
			return
		}
	case "CloneVM_Task":
		if resp := duplicateCloneTask(body); resp != nil {
			early()
			fixTaskInfo(resp, types.ManagedObjectReference{})
			w.Header().Set("Content-Type", "text/xml; charset=utf-8")
			w.WriteHeader(http.StatusOK)
			_, _ = w.Write(resp)
			return
		}
	}

	var post func(resp []byte)
	switch name {
	case "CloneVM_Task":
		body, post = f.cloneHooks(body)
	case "ReconfigVM_Task":
		body, post = f.reconfigHooks(body)
	}

	var snapVM types.ManagedObjectReference
	if snap, ok := simulator.Map.Get(this).(*simulator.VirtualMachineSnapshot); ok {
		snapVM = snap.Vm
	}

	if (name == "WaitForUpdatesEx" || name == "WaitForUpdates") && f.pcf != nil && this == f.pcf.pcRef && initialWait(body) {
		// vcsim registers the session's collector now (see pcfanout.go): serialize and adopt it.
		f.pcf.registerMu.Lock()
		defer f.pcf.registerMu.Unlock()
		if c, err := r.Cookie(soap.SessionCookieName); err == nil {
			cookie := c.Value
			f.pcf.clearStale(cookie)
			post = func([]byte) { f.pcf.adopt(cookie) }
		}
	}

	r.Body = ioutil.NopCloser(bytes.NewReader(body))
	r.ContentLength = int64(len(body))
	rec := &recorder{header: w.Header()}
	panicked := func() (p interface{}) {
		defer func() { p = recover() }()
		f.mux.ServeHTTP(rec, r)
		return nil
	}()
	if panicked != nil {
		log.Printf("%s on %s: vcsim panic: %v", name, this.Value, panicked)
		writeFault(w, fmt.Sprintf("vcsim internal error in %s: %v", name, panicked),
			`<SystemErrorFault xmlns="urn:vim25" xsi:type="SystemError"><reason>simulator panic</reason></SystemErrorFault>`)
		return
	}
	if post != nil && rec.status == http.StatusOK {
		func() {
			defer func() {
				if p := recover(); p != nil {
					log.Printf("%s on %s: post-processing panic: %v", name, this.Value, p)
				}
			}()
			post(rec.body.Bytes())
		}()
	}
	if rec.status == http.StatusOK && strings.HasSuffix(name, "_Task") {
		fixTaskInfo(rec.body.Bytes(), snapVM)
	}
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	w.WriteHeader(rec.status)
	_, _ = w.Write(rec.body.Bytes())
}

func (f *frontend) sessionActive(r *http.Request) bool {
	c, err := r.Cookie(soap.SessionCookieName)
	if err != nil || c.Value == "" {
		return false
	}
	return f.cookieActive(c.Value)
}

func (f *frontend) cookieActive(cookie string) bool {
	ctx := &simulator.Context{Map: simulator.Map}
	res := simulator.Map.SessionManager().SessionIsActive(ctx, &types.SessionIsActive{
		This:      simulator.Map.SessionManager().Reference(),
		SessionID: cookie,
		UserName:  f.user,
	})
	b, ok := res.(*methods.SessionIsActiveBody)
	return ok && b.Res != nil && b.Res.Returnval
}

func xmlEscape(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

func writeFault(w http.ResponseWriter, msg, detail string) {
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	w.WriteHeader(http.StatusInternalServerError)
	fmt.Fprintf(w, `%s<soapenv:Envelope xmlns:soapenc="http://schemas.xmlsoap.org/soap/encoding/" xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body><soapenv:Fault><faultcode>ServerFaultCode</faultcode><faultstring>%s</faultstring><detail>%s</detail></soapenv:Fault></soapenv:Body></soapenv:Envelope>`,
		xml.Header, xmlEscape(msg), detail)
}

// peekMethod returns the SOAP method name (first element of the Body) and its _this.
func peekMethod(body []byte) (string, types.ManagedObjectReference) {
	var this types.ManagedObjectReference
	dec := xml.NewDecoder(bytes.NewReader(body))
	inBody := false
	name := ""
	for {
		tok, err := dec.Token()
		if err != nil {
			return name, this
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if !inBody {
				inBody = t.Name.Local == "Body"
				continue
			}
			if name == "" {
				name = t.Name.Local
				continue
			}
			if t.Name.Local == "_this" {
				for _, a := range t.Attr {
					if a.Name.Local == "type" {
						this.Type = a.Value
					}
				}
				var v string
				if err := dec.DecodeElement(&v, &t); err == nil {
					this.Value = strings.TrimSpace(v)
				}
			}
			return name, this
		case xml.EndElement:
			if name != "" {
				return name, this
			}
		}
	}
}

// toolsRunningOrOff is false for a powered-on VM whose VMware Tools are not (yet) running:
// vCenter refuses guest power operations then (vcsim would power the VM off regardless).
func toolsRunningOrOff(ref types.ManagedObjectReference) bool {
	vm, ok := simulator.Map.Get(ref).(*simulator.VirtualMachine)
	if !ok {
		return true // let vcsim answer ManagedObjectNotFound
	}
	ok = true
	simulator.Map.WithLock(vm, func() {
		if vm.Runtime.PowerState == types.VirtualMachinePowerStatePoweredOn {
			ok = vm.Guest != nil && vm.Guest.ToolsRunningStatus == string(types.VirtualMachineToolsRunningStatusGuestToolsRunning)
		}
	})
	return ok
}

// duplicateCloneTask: vcsim 0.24 clones to a name that already exists in the target folder;
// vCenter fails the task with DuplicateName. Returns the CloneVM_Task response of such a failed
// task, or nil when the name is free.
func duplicateCloneTask(body []byte) []byte {
	m, err := simulator.UnmarshalBody(typeFunc, body)
	if err != nil {
		return nil
	}
	req, ok := m.Body.(*types.CloneVM_Task)
	if !ok {
		return nil
	}
	src, ok := simulator.Map.Get(req.This).(*simulator.VirtualMachine)
	if !ok {
		return nil
	}
	folder, ok := simulator.Map.Get(req.Folder).(*simulator.Folder)
	if !ok {
		return nil
	}
	var existing *types.ManagedObjectReference
	simulator.Map.WithLock(folder, func() {
		for _, child := range folder.ChildEntity {
			if child.Type != "VirtualMachine" {
				continue
			}
			if vm, ok := simulator.Map.Get(child).(*simulator.VirtualMachine); ok && vm.Name == req.Name {
				c := child
				existing = &c
				return
			}
		}
	})
	if existing == nil {
		return nil
	}
	task := simulator.CreateTask(src, "cloneVm", func(*simulator.Task) (types.AnyType, types.BaseMethodFault) {
		return nil, &types.DuplicateName{Name: req.Name, Object: *existing}
	})
	ref := task.Run()
	return []byte(fmt.Sprintf(`%s<soapenv:Envelope xmlns:soapenc="http://schemas.xmlsoap.org/soap/encoding/" xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body><CloneVM_TaskResponse xmlns="urn:vim25"><returnval type="Task">%s</returnval></CloneVM_TaskResponse></soapenv:Body></soapenv:Envelope>`,
		xml.Header, xmlEscape(ref.Value)))
}

// initialWait reports whether a WaitForUpdates(Ex) request has an empty version (the call on
// which vcsim registers the collector for change notifications).
func initialWait(body []byte) bool {
	m, err := simulator.UnmarshalBody(typeFunc, body)
	if err != nil {
		return false
	}
	switch req := m.Body.(type) {
	case *types.WaitForUpdatesEx:
		return req.Version == ""
	case *types.WaitForUpdates:
		return req.Version == ""
	}
	return false
}

// typeFunc resolves vim25 type names, also namespaced ones ("ns1:TraversalSpec"), like vcsim.
func typeFunc(name string) (reflect.Type, bool) {
	f := types.TypeFunc()
	if t, ok := f(name); ok {
		return t, true
	}
	if i := strings.Index(name, ":"); i >= 0 {
		return f(name[i+1:])
	}
	return nil, false
}

// encodeRequest re-encodes a (modified) request the way govmomi's client sends it.
func encodeRequest(body interface{}) ([]byte, error) {
	env := soap.Envelope{Body: body}
	b, err := vimxml.Marshal(env)
	if err != nil {
		return nil, err
	}
	return append([]byte(vimxml.Header), b...), nil
}

var taskResultRE = regexp.MustCompile(`<returnval type="Task">([^<]+)</returnval>`)

func taskFromResponse(resp []byte) (*simulator.Task, bool) {
	m := taskResultRE.FindSubmatch(resp)
	if m == nil {
		return nil, false
	}
	t, ok := simulator.Map.Get(types.ManagedObjectReference{Type: "Task", Value: string(m[1])}).(*simulator.Task)
	if !ok || t.Info.State != types.TaskInfoStateSuccess {
		return nil, false
	}
	return t, true
}

// fixTaskInfo makes a task look like vCenter's: info.entity is a ManagedEntity (vcsim puts the
// snapshot of RemoveSnapshot_Task/RevertToSnapshot_Task there, which pyVmomi cannot even parse),
// info.entityName is the entity's name (vcsim: the moref value), and a failed task carries a
// readable localizedMessage (vcsim: the Go type name, e.g. "*types.InvalidPowerState").
func fixTaskInfo(resp []byte, snapVM types.ManagedObjectReference) {
	m := taskResultRE.FindSubmatch(resp)
	if m == nil {
		return
	}
	task, ok := simulator.Map.Get(types.ManagedObjectReference{Type: "Task", Value: string(m[1])}).(*simulator.Task)
	if !ok {
		return
	}
	simulator.Map.WithLock(task, func() {
		var changes []types.PropertyChange
		if e := task.Info.Entity; e != nil {
			ref := *e
			if ref.Type == "VirtualMachineSnapshot" {
				ref = snapVM // the snapshot may be gone already (RemoveSnapshot_Task)
			}
			if ref.Type != "" && ref != *e {
				changes = append(changes, types.PropertyChange{Name: "info.entity", Val: ref})
			}
			if ref.Type != "" {
				if ent, ok := simulator.Map.Get(ref).(mo.Entity); ok && ent.Entity().Name != "" && ent.Entity().Name != task.Info.EntityName {
					changes = append(changes, types.PropertyChange{Name: "info.entityName", Val: ent.Entity().Name})
				}
			}
		}
		if task.Info.Error != nil {
			msg := faultMessage(task.Info.Error.Fault)
			if msg != task.Info.Error.LocalizedMessage {
				lf := *task.Info.Error
				lf.LocalizedMessage = msg
				changes = append(changes, types.PropertyChange{Name: "info.error", Val: &lf})
			}
		}
		if len(changes) != 0 {
			simulator.Map.Update(task, changes)
		}
	})
}

// faultMessage gives a vCenter-like message for the faults vcsim raises in tasks.
func faultMessage(f types.BaseMethodFault) string {
	if f == nil {
		return ""
	}
	kind := reflect.TypeOf(f).Elem().Name()
	switch x := f.(type) {
	case *types.InvalidPowerState:
		return fmt.Sprintf("The attempted operation cannot be performed in the current state (%s).", powerStateText(x.ExistingState))
	case *types.InvalidArgument:
		if x.InvalidProperty != "" {
			return fmt.Sprintf("A specified parameter was not correct: %s", x.InvalidProperty)
		}
		return "A specified parameter was not correct."
	case *types.InvalidVmConfig:
		return fmt.Sprintf("Invalid virtual machine configuration: %s", x.Property)
	case *types.InvalidDeviceSpec:
		return fmt.Sprintf("Invalid configuration for device '%d'.", x.DeviceIndex)
	case *types.FileAlreadyExists:
		return fmt.Sprintf("Cannot complete the operation because the file or folder %s already exists", x.File)
	case *types.FileNotFound:
		return fmt.Sprintf("File %s was not found", x.File)
	case *types.DuplicateName:
		return fmt.Sprintf("The name '%s' already exists.", x.Name)
	case *types.NotFound:
		return "The object or item referred to could not be found."
	case *types.InvalidState:
		return "The operation is not allowed in the current state."
	case *types.NotSupported:
		return "The operation is not supported on the object."
	case *types.ManagedObjectNotFound:
		return "The object has already been deleted or has not been completely created"
	}
	return kind
}

func powerStateText(s types.VirtualMachinePowerState) string {
	switch s {
	case types.VirtualMachinePowerStatePoweredOn:
		return "Powered on"
	case types.VirtualMachinePowerStatePoweredOff:
		return "Powered off"
	case types.VirtualMachinePowerStateSuspended:
		return "Suspended"
	}
	return string(s)
}

// fixDeviceChanges completes edits and gives added devices vCenter's keys.
func fixDeviceChanges(changes []types.BaseVirtualDeviceConfigSpec, existing object.VirtualDeviceList) bool {
	a := completeEdits(changes, existing)
	b := normalizeAddKeys(changes, existing)
	return a || b
}

// completeEdits fills what an "edit" device change omits from the existing device.
// Returns true when a spec was changed.
func completeEdits(changes []types.BaseVirtualDeviceConfigSpec, existing object.VirtualDeviceList) bool {
	changed := false
	for _, c := range changes {
		spec := c.GetVirtualDeviceConfigSpec()
		if spec.Operation != types.VirtualDeviceConfigSpecOperationEdit || spec.Device == nil {
			continue
		}
		d := spec.Device.GetVirtualDevice()
		old := existing.FindByKey(d.Key)
		if old == nil {
			continue
		}
		od := old.GetVirtualDevice()
		if d.DeviceInfo == nil {
			if od.DeviceInfo != nil {
				desc := *od.DeviceInfo.GetDescription()
				desc.Summary = ""
				d.DeviceInfo = &desc
			} else {
				d.DeviceInfo = &types.Description{}
			}
			changed = true
		}
		if d.Backing == nil && od.Backing != nil {
			d.Backing = deepCopy(od.Backing).(types.BaseVirtualDeviceBackingInfo)
			changed = true
		}
		if d.Connectable == nil && od.Connectable != nil {
			cc := *od.Connectable
			d.Connectable = &cc
			changed = true
		}
		if d.ControllerKey == 0 && od.ControllerKey != 0 {
			d.ControllerKey = od.ControllerKey
			changed = true
		}
		if d.UnitNumber == nil && od.UnitNumber != nil {
			u := *od.UnitNumber
			d.UnitNumber = &u
			changed = true
		}
	}
	return changed
}

func (f *frontend) cloneHooks(body []byte) ([]byte, func([]byte)) {
	m, err := simulator.UnmarshalBody(typeFunc, body)
	if err != nil {
		return body, nil
	}
	req, ok := m.Body.(*types.CloneVM_Task)
	if !ok {
		return body, nil
	}
	src, ok := simulator.Map.Get(req.This).(*simulator.VirtualMachine)
	if !ok {
		return body, nil
	}
	var saved []types.BaseVirtualDevice
	var srcName string
	var srcMACs []string
	simulator.Map.WithLock(src, func() {
		if src.Config == nil {
			return
		}
		srcName = src.Name
		saved = deepCopy(src.Config.Hardware.Device).([]types.BaseVirtualDevice)
		for _, n := range vmNICs(&src.VirtualMachine) {
			srcMACs = append(srcMACs, strings.ToLower(n.mac))
		}
		if req.Spec.Config != nil && fixDeviceChanges(req.Spec.Config.DeviceChange, object.VirtualDeviceList(src.Config.Hardware.Device)) {
			if nb, err := encodeRequest(&methods.CloneVM_TaskBody{Req: req}); err == nil {
				body = nb
			} else {
				log.Printf("CloneVM_Task: cannot re-encode the request: %v", err)
			}
		}
	})
	if saved == nil {
		return body, nil
	}

	post := func(resp []byte) {
		// Undo vcsim's in-place edits of the source's devices (restore the pre-clone copies).
		simulator.Map.WithLock(src, func() {
			if src.Config != nil {
				src.Config.Hardware.Device = saved
			}
		})
		task, ok := taskFromResponse(resp)
		if !ok {
			return
		}
		ref, ok := task.Info.Result.(types.ManagedObjectReference)
		if !ok {
			return
		}
		clone, ok := simulator.Map.Get(ref).(*simulator.VirtualMachine)
		if !ok {
			return
		}
		f.gs.inheritProfile(ref, req.This, srcName)
		var cte *bool
		specHasCtk := false
		if req.Spec.Config != nil {
			cte = req.Spec.Config.ChangeTrackingEnabled
			specHasCtk = hasCtkKey(req.Spec.Config.ExtraConfig)
		}
		simulator.Map.WithLock(clone, func() {
			regenerateMACs(clone, srcMACs)
			fixDeviceLabels(clone)
			normalizeExtraConfig(clone, cte, specHasCtk)
			fixGuestFullName(clone)
		})
	}
	return body, post
}

func (f *frontend) reconfigHooks(body []byte) ([]byte, func([]byte)) {
	m, err := simulator.UnmarshalBody(typeFunc, body)
	if err != nil {
		return body, nil
	}
	req, ok := m.Body.(*types.ReconfigVM_Task)
	if !ok {
		return body, nil
	}
	vm, ok := simulator.Map.Get(req.This).(*simulator.VirtualMachine)
	if !ok {
		return body, nil
	}
	simulator.Map.WithLock(vm, func() {
		if vm.Config != nil && fixDeviceChanges(req.Spec.DeviceChange, object.VirtualDeviceList(vm.Config.Hardware.Device)) {
			if nb, err := encodeRequest(&methods.ReconfigVM_TaskBody{Req: req}); err == nil {
				body = nb
			} else {
				log.Printf("ReconfigVM_Task: cannot re-encode the request: %v", err)
			}
		}
	})
	cte := req.Spec.ChangeTrackingEnabled
	specHasCtk := hasCtkKey(req.Spec.ExtraConfig)
	post := func(resp []byte) {
		if _, ok := taskFromResponse(resp); !ok {
			return
		}
		simulator.Map.WithLock(vm, func() {
			if vm.Config != nil {
				fixDeviceLabels(vm)
				normalizeExtraConfig(vm, cte, specHasCtk)
				fixGuestFullName(vm)
				notifyReconfig(vm, &req.Spec)
			}
		})
	}
	return body, post
}

// notifyReconfig publishes the properties ReconfigVM_Task changed: vcsim assigns most config
// fields directly, so PropertyCollector filters would never hear about them.
func notifyReconfig(vm *simulator.VirtualMachine, spec *types.VirtualMachineConfigSpec) {
	var changes []types.PropertyChange
	add := func(name string, val interface{}) {
		changes = append(changes, types.PropertyChange{Name: name, Val: val})
	}
	if spec.Name != "" {
		add("name", vm.Name)
		add("config.name", vm.Config.Name)
		add("summary.config.name", vm.Summary.Config.Name)
	}
	if spec.Annotation != "" {
		add("config.annotation", vm.Config.Annotation)
	}
	if spec.NumCPUs != 0 {
		add("config.hardware.numCPU", vm.Config.Hardware.NumCPU)
		add("summary.config.numCpu", vm.Summary.Config.NumCpu)
	}
	if spec.NumCoresPerSocket != 0 {
		add("config.hardware.numCoresPerSocket", vm.Config.Hardware.NumCoresPerSocket)
	}
	if spec.MemoryMB != 0 {
		add("config.hardware.memoryMB", vm.Config.Hardware.MemoryMB)
		add("summary.config.memorySizeMB", vm.Summary.Config.MemorySizeMB)
	}
	if spec.GuestId != "" {
		add("config.guestId", vm.Config.GuestId)
		add("summary.config.guestId", vm.Summary.Config.GuestId)
	}
	if len(changes) != 0 {
		simulator.Map.Update(vm, changes)
	}
}

func hasCtkKey(opts []types.BaseOptionValue) bool {
	for _, o := range opts {
		if strings.EqualFold(o.GetOptionValue().Key, "ctkEnabled") {
			return true
		}
	}
	return false
}

// regenerateMACs gives a fresh generated MAC to every NIC of the clone (not manual) whose MAC
// was copied from the source or is used by another VM. Caller holds the clone's lock.
func regenerateMACs(clone *simulator.VirtualMachine, srcMACs []string) {
	taken := make(map[string]bool)
	for _, m := range srcMACs {
		taken[m] = true
	}
	for _, e := range simulator.Map.All("VirtualMachine") {
		vm, ok := e.(*simulator.VirtualMachine)
		if !ok || vm.Self == clone.Self || vm.Config == nil {
			continue
		}
		for _, d := range vm.Config.Hardware.Device {
			if c, ok := d.(types.BaseVirtualEthernetCard); ok {
				taken[strings.ToLower(c.GetVirtualEthernetCard().MacAddress)] = true
			}
		}
	}
	changed := false
	for _, d := range clone.Config.Hardware.Device {
		c, ok := d.(types.BaseVirtualEthernetCard)
		if !ok {
			continue
		}
		card := c.GetVirtualEthernetCard()
		if card.AddressType == string(types.VirtualEthernetCardMacTypeManual) {
			continue
		}
		if card.MacAddress != "" && !taken[strings.ToLower(card.MacAddress)] {
			taken[strings.ToLower(card.MacAddress)] = true
			continue
		}
		mac := newMAC()
		for taken[mac] {
			mac = newMAC()
		}
		taken[mac] = true
		card.MacAddress = mac
		if card.AddressType == "" {
			card.AddressType = string(types.VirtualEthernetCardMacTypeGenerated)
		}
		changed = true
	}
	if changed {
		simulator.Map.Update(clone, []types.PropertyChange{
			{Name: "config.hardware.device", Val: clone.Config.Hardware.Device},
		})
	}
}

// normalizeExtraConfig merges config.extraConfig like vSphere (last value of a key wins, an
// empty value removes the key) and keeps config.changeTrackingEnabled in line with ctkEnabled.
// Caller holds the VM's lock.
func normalizeExtraConfig(vm *simulator.VirtualMachine, cte *bool, specHasCtk bool) {
	var order []string
	vals := make(map[string]types.BaseOptionValue)
	for _, o := range vm.Config.ExtraConfig {
		k := strings.ToLower(o.GetOptionValue().Key)
		if _, seen := vals[k]; !seen {
			order = append(order, k)
		}
		vals[k] = o
	}
	if cte != nil && !specHasCtk {
		v := "FALSE"
		if *cte {
			v = "TRUE"
		}
		if _, seen := vals["ctkenabled"]; !seen {
			order = append(order, "ctkenabled")
		}
		vals["ctkenabled"] = &types.OptionValue{Key: "ctkEnabled", Value: v}
	}
	var list []types.BaseOptionValue
	for _, k := range order {
		o := vals[k]
		if fmt.Sprint(o.GetOptionValue().Value) == "" {
			continue
		}
		list = append(list, o)
	}
	changes := []types.PropertyChange{{Name: "config.extraConfig", Val: list}}
	if o, ok := vals["ctkenabled"]; ok && fmt.Sprint(o.GetOptionValue().Value) != "" {
		on := strings.EqualFold(fmt.Sprint(o.GetOptionValue().Value), "true")
		if vm.Config.ChangeTrackingEnabled == nil || *vm.Config.ChangeTrackingEnabled != on {
			changes = append(changes, types.PropertyChange{Name: "config.changeTrackingEnabled", Val: on})
		}
	} else if cte != nil {
		changes = append(changes, types.PropertyChange{Name: "config.changeTrackingEnabled", Val: *cte})
	}
	simulator.Map.Update(vm, changes)
}

// deepCopy copies a value of vim25 types (pointers, interfaces, slices, structs, maps).
func deepCopy(v interface{}) interface{} {
	if v == nil {
		return nil
	}
	return copyValue(reflect.ValueOf(v)).Interface()
}

func copyValue(v reflect.Value) reflect.Value {
	switch v.Kind() {
	case reflect.Ptr:
		if v.IsNil() {
			return reflect.Zero(v.Type())
		}
		n := reflect.New(v.Type().Elem())
		n.Elem().Set(copyValue(v.Elem()))
		return n
	case reflect.Interface:
		if v.IsNil() {
			return reflect.Zero(v.Type())
		}
		n := reflect.New(v.Type()).Elem()
		n.Set(copyValue(v.Elem()))
		return n
	case reflect.Slice:
		if v.IsNil() {
			return reflect.Zero(v.Type())
		}
		n := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
		for i := 0; i < v.Len(); i++ {
			n.Index(i).Set(copyValue(v.Index(i)))
		}
		return n
	case reflect.Map:
		if v.IsNil() {
			return reflect.Zero(v.Type())
		}
		n := reflect.MakeMapWithSize(v.Type(), v.Len())
		iter := v.MapRange()
		for iter.Next() {
			n.SetMapIndex(iter.Key(), copyValue(iter.Value()))
		}
		return n
	case reflect.Struct:
		n := reflect.New(v.Type()).Elem()
		n.Set(v) // also copies unexported fields (e.g. time.Time) shallowly
		for i := 0; i < v.NumField(); i++ {
			if n.Field(i).CanSet() {
				n.Field(i).Set(copyValue(v.Field(i)))
			}
		}
		return n
	default:
		return v
	}
}

package main

// vcsim 0.24 bug: every session gets its own copy of the default PropertyCollector, but all
// copies share the moref "propertyCollector", and simulator.Registry keeps its change handlers
// in a map keyed by moref. WaitForUpdates(Ex) registers the session's copy with
// Map.AddHandler, so the last session to start waiting replaces every other session's
// collector: their WaitForUpdatesEx never sees another change (observed: two pyVmomi
// sessions, the first one times out while the VM powers on).
//
// pcFanout fixes this inside the process: after each WaitForUpdates(Ex) on the default
// collector (serialized, so two sessions cannot interleave), the collector that vcsim just
// registered is taken out of Registry.handlers and added to pcFanout, a single handler under
// its own moref that forwards every Put/Update/Remove to all of them. Collectors of sessions
// that ended are dropped. Registry.handlers and its mutex are unexported, hence the
// reflect/unsafe access (checked at start-up: Debian's govmomi 0.24.2 is pinned).

import (
	"fmt"
	"reflect"
	"sync"
	"time"
	"unsafe"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
)

type pcEntry struct {
	cookie string
	added  time.Time
}

type pcFanout struct {
	self  types.ManagedObjectReference
	pcRef types.ManagedObjectReference

	registerMu sync.Mutex // serializes WaitForUpdates(Ex) calls that register a collector

	mu       sync.Mutex
	pcs      map[simulator.RegisterObject]pcEntry
	byCookie map[string]simulator.RegisterObject
	canClear bool // simulator.PropertyCollector has the expected unexported mu/updates fields

	regMu    *sync.Mutex
	handlers reflect.Value // map[types.ManagedObjectReference]simulator.RegisterObject
}

func newPCFanout() (*pcFanout, error) {
	rv := reflect.ValueOf(simulator.Map).Elem()
	m := rv.FieldByName("m")
	h := rv.FieldByName("handlers")
	if !m.IsValid() || m.Type() != reflect.TypeOf(sync.Mutex{}) || !h.IsValid() ||
		h.Kind() != reflect.Map || h.Type().Key() != reflect.TypeOf(types.ManagedObjectReference{}) {
		return nil, fmt.Errorf("simulator.Registry layout changed (fields m/handlers)")
	}
	pct := reflect.TypeOf(simulator.PropertyCollector{})
	mu, okMu := pct.FieldByName("mu")
	upd, okUpd := pct.FieldByName("updates")
	canClear := okMu && okUpd && mu.Type == reflect.TypeOf(sync.Mutex{}) &&
		upd.Type == reflect.TypeOf([]types.ObjectUpdate(nil))
	return &pcFanout{
		byCookie: make(map[string]simulator.RegisterObject),
		canClear: canClear,
		self:     types.ManagedObjectReference{Type: "MtvPropertyCollectorFanout", Value: "mtv-pc-fanout"},
		pcRef:    simulator.Map.Get(vim25.ServiceInstance).(*simulator.ServiceInstance).Content.PropertyCollector,
		pcs:      make(map[simulator.RegisterObject]pcEntry),
		regMu:    (*sync.Mutex)(unsafe.Pointer(m.UnsafeAddr())),
		handlers: reflect.NewAt(h.Type(), unsafe.Pointer(h.UnsafeAddr())).Elem(),
	}, nil
}

func (f *pcFanout) Reference() types.ManagedObjectReference { return f.self }

func (f *pcFanout) snapshot() []simulator.RegisterObject {
	f.mu.Lock()
	defer f.mu.Unlock()
	list := make([]simulator.RegisterObject, 0, len(f.pcs))
	for pc := range f.pcs {
		list = append(list, pc)
	}
	return list
}

func (f *pcFanout) PutObject(o mo.Reference) {
	for _, pc := range f.snapshot() {
		pc.PutObject(o)
	}
}

func (f *pcFanout) UpdateObject(o mo.Reference, changes []types.PropertyChange) {
	for _, pc := range f.snapshot() {
		pc.UpdateObject(o, changes)
	}
}

func (f *pcFanout) RemoveObject(ref types.ManagedObjectReference) {
	for _, pc := range f.snapshot() {
		pc.RemoveObject(ref)
	}
}

// adopt moves the collector vcsim registered under the default collector's moref (if any)
// into the fan-out. cookie is the session that registered it.
func (f *pcFanout) adopt(cookie string) {
	f.regMu.Lock()
	var pc simulator.RegisterObject
	v := f.handlers.MapIndex(reflect.ValueOf(f.pcRef))
	if v.IsValid() {
		pc, _ = v.Interface().(simulator.RegisterObject)
		f.handlers.SetMapIndex(reflect.ValueOf(f.pcRef), reflect.Value{}) // delete
	}
	f.regMu.Unlock()
	if pc == nil {
		return
	}
	f.mu.Lock()
	f.pcs[pc] = pcEntry{cookie: cookie, added: time.Now()}
	f.byCookie[cookie] = pc
	f.mu.Unlock()
}

// clearStale empties the queued updates of the session's default collector before a
// WaitForUpdates(Ex) with an empty version: that call reports the current state, so what was
// queued before it is stale (vcsim would deliver those old values after the current ones, and
// run a full collection for each of them).
func (f *pcFanout) clearStale(cookie string) {
	if !f.canClear {
		return
	}
	f.mu.Lock()
	pc, ok := f.byCookie[cookie].(*simulator.PropertyCollector)
	f.mu.Unlock()
	if !ok {
		return
	}
	v := reflect.ValueOf(pc).Elem()
	mu := (*sync.Mutex)(unsafe.Pointer(v.FieldByName("mu").UnsafeAddr()))
	upd := v.FieldByName("updates")
	upd = reflect.NewAt(upd.Type(), unsafe.Pointer(upd.UnsafeAddr())).Elem()
	mu.Lock()
	upd.Set(reflect.Zero(upd.Type()))
	mu.Unlock()
}

// prune drops the collectors of sessions that ended (logout, TerminateSession).
func (f *pcFanout) prune(active func(string) bool) {
	f.mu.Lock()
	var entries []simulator.RegisterObject
	var cookies []string
	for p, e := range f.pcs {
		entries = append(entries, p)
		cookies = append(cookies, e.cookie)
	}
	f.mu.Unlock()
	for i, p := range entries {
		if !active(cookies[i]) {
			f.mu.Lock()
			delete(f.pcs, p)
			if f.byCookie[cookies[i]] == p {
				delete(f.byCookie, cookies[i])
			}
			f.mu.Unlock()
		}
	}
}

func (f *pcFanout) pruneLoop(active func(string) bool, done <-chan struct{}) {
	t := time.NewTicker(10 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-done:
			return
		case <-t.C:
			f.prune(active)
		}
	}
}

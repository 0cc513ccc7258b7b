// mtv-vcsim: the lab's vCenter, govmomi's simulator (vcsim 0.24) made to behave like a real vCenter
// for the mtvtest warm flow. See docs/lab-vcsim.md.
//
//	mtv-vcsim --listen 127.0.0.1:0 --tls-cert FILE --tls-key FILE --credentials-file FILE
//	          [--latency-ms N] [--ready-file FILE] [--guest-ip-prefix 127.42]
package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/ioutil"
	"log"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/vmware/govmomi/simulator"
)

const progName = "mtv-vcsim"

type options struct {
	listen        string
	tlsCert       string
	tlsKey        string
	credsFile     string
	latencyMS     int
	readyFile     string
	guestIPPrefix string
	linuxIPOrigin string
}

func fatalf(code int, format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, progName+": error: "+format+"\n", args...)
	os.Exit(code)
}

func parseOptions() *options {
	o := &options{}
	fs := flag.NewFlagSet(progName, flag.ContinueOnError)
	fs.SetOutput(os.Stderr)
	fs.StringVar(&o.listen, "listen", "127.0.0.1:0", "address to serve on (port 0 = a free port)")
	fs.StringVar(&o.tlsCert, "tls-cert", "", "PEM certificate (chain) of the server")
	fs.StringVar(&o.tlsKey, "tls-key", "", "PEM private key of the server")
	fs.StringVar(&o.credsFile, "credentials-file", "", "file with two lines: username, password")
	fs.IntVar(&o.latencyMS, "latency-ms", 0, "delay every SOAP method call by N milliseconds")
	fs.StringVar(&o.readyFile, "ready-file", "", "write the SDK URL to this file (atomically) when ready")
	fs.StringVar(&o.guestIPPrefix, "guest-ip-prefix", "127.42", "first two octets of the simulated guest IPv4s")
	fs.StringVar(&o.linuxIPOrigin, "linux-ip-origin", "reported",
		"reported: Linux guests report each IP's origin (manual/dhcp); unknown: they report none, as open-vm-tools does")
	if err := fs.Parse(os.Args[1:]); err != nil {
		os.Exit(2)
	}
	if fs.NArg() != 0 {
		fatalf(2, "unexpected argument %q", fs.Arg(0))
	}
	if o.tlsCert == "" || o.tlsKey == "" {
		fatalf(2, "--tls-cert and --tls-key are required")
	}
	if o.credsFile == "" {
		fatalf(2, "--credentials-file is required")
	}
	if o.latencyMS < 0 {
		fatalf(2, "--latency-ms must be >= 0")
	}
	if o.linuxIPOrigin != "reported" && o.linuxIPOrigin != "unknown" {
		fatalf(2, "--linux-ip-origin must be reported or unknown")
	}
	return o
}

// readCredentials reads "username\npassword\n"; the values are never printed.
func readCredentials(path string) (string, string, error) {
	data, err := ioutil.ReadFile(path)
	if err != nil {
		return "", "", fmt.Errorf("cannot read credentials file %s: %v", path, err)
	}
	var lines []string
	sc := bufio.NewScanner(strings.NewReader(string(data)))
	for sc.Scan() {
		lines = append(lines, strings.TrimRight(sc.Text(), "\r"))
	}
	if len(lines) < 2 || lines[0] == "" || lines[1] == "" {
		return "", "", fmt.Errorf("credentials file %s must hold two non-empty lines (username, password)", path)
	}
	return lines[0], lines[1], nil
}

// parseGuestIPPrefix accepts "127.X" (X in 0..255).
func parseGuestIPPrefix(s string) ([2]byte, error) {
	var p [2]byte
	parts := strings.Split(s, ".")
	if len(parts) != 2 {
		return p, fmt.Errorf("--guest-ip-prefix must be two octets like 127.42, got %q", s)
	}
	for i, part := range parts {
		n, err := strconv.Atoi(part)
		if err != nil || n < 0 || n > 255 {
			return p, fmt.Errorf("--guest-ip-prefix: bad octet %q", part)
		}
		p[i] = byte(n)
	}
	if p[0] != 127 {
		return p, fmt.Errorf("--guest-ip-prefix must be inside 127.0.0.0/8 (loopback), got %q", s)
	}
	return p, nil
}

func writeFileAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	f, err := ioutil.TempFile(dir, "."+filepath.Base(path)+".tmp")
	if err != nil {
		return err
	}
	tmp := f.Name()
	if _, err = f.Write(data); err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp, 0644)
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		_ = os.Remove(tmp)
	}
	return err
}

// quietLog drops vcsim's per-update chatter (several lines per property change while a client
// waits in WaitForUpdatesEx) and its file probes; everything else goes to stderr.
type quietLog struct{ w io.Writer }

var noisyLog = regexp.MustCompile(`( has [0-9]+ changes| applying [0-9]+ updates to [0-9]+ filters| WaitForUpdates MaxWaitSeconds exceeded| WaitForUpdates canceled|FileAlreadyExists: .*\.vmdk)\n?$`)

func (q *quietLog) Write(p []byte) (int, error) {
	if noisyLog.Match(p) {
		return len(p), nil
	}
	return q.w.Write(p)
}

func main() {
	o := parseOptions()
	log.SetPrefix(progName + ": ")
	log.SetOutput(&quietLog{w: os.Stderr})

	prefix, err := parseGuestIPPrefix(o.guestIPPrefix)
	if err != nil {
		fatalf(2, "%v", err)
	}
	user, pass, err := readCredentials(o.credsFile)
	if err != nil {
		fatalf(2, "%v", err)
	}
	cert, err := tls.LoadX509KeyPair(o.tlsCert, o.tlsKey)
	if err != nil {
		fatalf(2, "cannot load --tls-cert/--tls-key: %v", err)
	}

	// The VPX model: DC0, cluster DC0_C0 (3 hosts), standalone host DC0_H0, DVS DC0_DVS with
	// DC0_DVPG0, "VM Network", LocalDS_0 and LocalDS_1. No DC0_* VMs (Machine=0): the
	// inventory holds only the seeded templates.
	model := simulator.VPX()
	model.Datastore = 2
	model.Machine = 0
	model.Autostart = false
	if err := model.Create(); err != nil {
		fatalf(1, "cannot create the vcsim model: %v", err)
	}

	// No latency while seeding (the in-process client goes through the same dispatcher).
	model.DelayConfig.Delay = 0

	gs := newGuestSim(prefix)
	gs.linuxOriginUnknown = o.linuxIPOrigin == "unknown"
	simulator.Map.AddHandler(gs)

	if err := seedInventory(model, gs); err != nil {
		model.Remove()
		fatalf(1, "cannot seed the inventory: %v", err)
	}
	go gs.run()

	model.DelayConfig.Delay = o.latencyMS

	ln, err := net.Listen("tcp", o.listen)
	if err != nil {
		model.Remove()
		fatalf(1, "cannot listen on %s: %v", o.listen, err)
	}
	addr := ln.Addr().(*net.TCPAddr)
	host := addr.IP.String()
	if addr.IP.IsUnspecified() {
		host = "127.0.0.1"
	}
	hostPort := net.JoinHostPort(host, strconv.Itoa(addr.Port))
	sdkURL := (&url.URL{Scheme: "https", Host: hostPort, Path: "/sdk"}).String()

	handler := newFrontend(model.Service, user, pass, hostPort, gs, time.Duration(o.latencyMS)*time.Millisecond)
	srv := &http.Server{
		Handler: handler,
		TLSConfig: &tls.Config{
			Certificates: []tls.Certificate{cert},
			MinVersion:   tls.VersionTLS12,
		},
		ReadHeaderTimeout: 30 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          log.New(os.Stderr, progName+": http: ", 0),
	}

	if handler.pcf != nil {
		go handler.pcf.pruneLoop(handler.cookieActive, gs.done)
	}

	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.ServeTLS(ln, "", "") }()

	if o.readyFile != "" {
		if err := writeFileAtomic(o.readyFile, []byte(sdkURL+"\n")); err != nil {
			_ = srv.Close()
			model.Remove()
			fatalf(1, "cannot write --ready-file %s: %v", o.readyFile, err)
		}
	}
	fmt.Fprintf(os.Stdout, "MTV_VCSIM_URL=%s\n", sdkURL)
	_ = os.Stdout.Sync()

	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)

	code := 0
	select {
	case sig := <-sigs:
		log.Printf("%s: shutting down", sig)
	case err := <-serveErr:
		if err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Printf("server stopped: %v", err)
			code = 1
		}
	}
	gs.stop()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	if err := srv.Shutdown(ctx); err != nil {
		// Long-polling WaitForUpdatesEx calls do not end by themselves: close them.
		_ = srv.Close()
	}
	cancel()
	model.Remove()
	os.Exit(code)
}

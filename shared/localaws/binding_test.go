package localaws_test

import (
	"bufio"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/leadflow/leadflow/shared/localaws"
)

// listeners returns the local addresses of every TCP socket listening on
// port, read from /proc/net/tcp and tcp6 (Linux), whichever process owns it.
func listeners(t *testing.T, port int) []net.IP {
	t.Helper()
	var out []net.IP
	for _, file := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		f, err := os.Open(file)
		if err != nil {
			t.Fatalf("this check reads %s (Linux): %v", file, err)
		}
		sc := bufio.NewScanner(f)
		sc.Scan() // header
		for sc.Scan() {
			fields := strings.Fields(sc.Text())
			if len(fields) < 4 || fields[3] != "0A" { // 0A: LISTEN
				continue
			}
			host, p, _ := strings.Cut(fields[1], ":")
			if n, _ := strconv.ParseUint(p, 16, 16); int(n) != port {
				continue
			}
			raw, err := hex.DecodeString(host)
			if err != nil {
				t.Fatalf("%s: address %q: %v", file, host, err)
			}
			// The kernel prints each 32-bit word in host (little-endian) order.
			for i := 0; i+4 <= len(raw); i += 4 {
				raw[i], raw[i+1], raw[i+2], raw[i+3] = raw[i+3], raw[i+2], raw[i+1], raw[i]
			}
			out = append(out, net.IP(raw))
		}
		f.Close()
	}
	return out
}

// onlyLoopback fails unless something listens on port and every listener
// is bound to a loopback address (127.0.0.1, or ::ffff:127.0.0.1 for a
// Java IPv6 socket).
func onlyLoopback(t *testing.T, name string, port int) error {
	ips := listeners(t, port)
	if len(ips) == 0 {
		return fmt.Errorf("%s: nothing listens on port %d", name, port)
	}
	for _, ip := range ips {
		if !ip.IsLoopback() {
			return fmt.Errorf("%s: listens on %s port %d, not loopback only", name, ip, port)
		}
	}
	return nil
}

// Issue 8.7: nothing here authenticates, so every local server must be
// reachable from this machine only.
func TestServersListenOnLoopbackOnly(t *testing.T) {
	t.Parallel()
	// The check itself can fail: a wildcard listener is reported.
	wild, err := net.Listen("tcp", ":0")
	if err != nil {
		t.Fatal(err)
	}
	if err := onlyLoopback(t, "wildcard", wild.Addr().(*net.TCPAddr).Port); err == nil {
		t.Fatal("a listener on every interface passed the loopback check")
	}
	wild.Close()

	for name, fn := range map[string]func(t *testing.T) *localaws.Process{
		"dynamodb": func(t *testing.T) *localaws.Process { return start(t, localaws.StartDynamoDB, localaws.Options{}) },
		"sqs": func(t *testing.T) *localaws.Process {
			return start(t, localaws.StartSQS, localaws.Options{DataDir: t.TempDir()})
		},
		"ses": func(t *testing.T) *localaws.Process { return start(t, localaws.StartSES, localaws.Options{}) },
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			p := fn(t)
			if err := onlyLoopback(t, name, p.Port); err != nil {
				t.Error(err)
			}
		})
	}
}

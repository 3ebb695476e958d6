// Package localaws starts the local AWS-compatible servers that `make dev` and the
// integration tests talk to with the real AWS SDK clients:
//
//   - DynamoDB: AWS's DynamoDB Local (Java), see StartDynamoDB.
//   - SQS: goaws, see StartSQS.
//   - SES v2: aws-ses-v2-local (Node), see StartSES.
//
// The binaries are installed by scripts/install-local-tools.sh (`make tools`) under
// .local/tools and node_modules; when they are absent every Start function returns an
// error wrapping ErrToolsMissing, so that tests fail loudly instead of skipping.
//
// Each server runs in its own process group, so Stop (or cancelling the context given
// to Start) takes down the whole group and never leaves orphans behind. The context
// bounds the server's whole life, not just its start-up; call Stop even after
// cancelling it, to remove temporary files. On Linux the server is also killed if this
// process dies without running Stop. NOTES.md beside this file lists what each server
// does and does not emulate.
package localaws

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// ErrToolsMissing is returned (wrapped, with the missing path) when a server's binary
// or runtime is not installed.
var ErrToolsMissing = errors.New("local AWS servers are not installed: run `make tools` (bash scripts/install-local-tools.sh) from the repo root")

// DefaultStartTimeout bounds the wait for a server to answer. DynamoDB Local is a JVM:
// a cold start on a loaded 2-core machine can take tens of seconds, and over a
// minute while other test runs share it.
const DefaultStartTimeout = 3 * time.Minute

const (
	// stopGrace is how long a server gets to exit on SIGTERM before SIGKILL.
	stopGrace = 5 * time.Second
	// logTailBytes is how much of a server's output is kept for error messages.
	logTailBytes = 8 << 10
	// portAttempts: a port from FreePort can be taken by someone else before the
	// server binds it, so a start on an automatic port is retried on a new one.
	portAttempts = 3
)

// Options configures one server.
type Options struct {
	// Root is the repository root, used to find .local/tools and node_modules.
	// "" means RepoRoot().
	Root string
	// Port to listen on; 0 picks a free loopback port.
	Port int
	// DataDir keeps state between runs. DynamoDB: "" runs -inMemory, else -dbPath
	// DataDir. SQS: where its generated config goes ("" = a temp dir removed by Stop);
	// goaws itself keeps queues in memory only. SES: unused (in memory only).
	DataDir string
	// LogFile receives the server's stdout and stderr (appended); "" discards them.
	// The last few KiB are kept in memory either way for error messages.
	LogFile string
	// StartTimeout bounds the readiness wait; 0 means DefaultStartTimeout.
	StartTimeout time.Duration
}

// Process is a running local server.
type Process struct {
	Name     string // "dynamodb", "sqs" or "ses"
	Endpoint string // http://127.0.0.1:PORT, for config.WithBaseEndpoint / AWSConfig
	Port     int
	PID      int // also the process group id

	cmd      *exec.Cmd
	exited   chan struct{} // closed once the process has exited and been reaped
	waitErr  error         // valid after exited is closed
	stopping atomic.Bool   // set before we signal it, to tell our kills from crashes
	tail     *tailBuffer
	logFile  *os.File
	cleanups []func() error

	stopOnce sync.Once
	stopErr  error
}

// Stop terminates the server's process group (SIGTERM, then SIGKILL after a grace
// period), waits for it to exit and removes its temporary files. It is safe to call
// more than once. It reports an error if the server had died before Stop was called.
func (p *Process) Stop() error {
	p.stopOnce.Do(func() {
		var errs []error
		select {
		case <-p.exited:
			if !p.stopping.Load() {
				errs = append(errs, fmt.Errorf("%s (pid %d) exited before Stop: %v; log tail:\n%s", p.Name, p.PID, p.waitErr, p.tail))
			}
		default:
		}
		p.terminate()
		errs = append(errs, p.release()...)
		p.stopErr = errors.Join(errs...)
	})
	return p.stopErr
}

// Done is closed when the server process has exited, for whatever reason.
func (p *Process) Done() <-chan struct{} { return p.exited }

// LogTail returns the last few KiB the server printed.
func (p *Process) LogTail() string { return p.tail.String() }

// terminate signals the whole process group and waits until the leader is reaped.
func (p *Process) terminate() {
	p.stopping.Store(true)
	select {
	case <-p.exited:
		return
	default:
	}
	_ = signalGroup(p.PID, syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(stopGrace):
		// The leader is still alive (not reaped), so the group id is still ours.
		_ = signalGroup(p.PID, syscall.SIGKILL)
		<-p.exited
	}
	// Anything the server forked shares its group and may outlive it. The leader was
	// reaped a moment ago; pids are handed out sequentially, so the group id cannot
	// have been reused in that time.
	_ = signalGroup(p.PID, syscall.SIGKILL)
}

// release closes the log and runs the cleanups; call after the process has exited.
func (p *Process) release() []error {
	var errs []error
	if p.logFile != nil {
		if err := p.logFile.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close %s log: %w", p.Name, err))
		}
		p.logFile = nil
	}
	for i := len(p.cleanups) - 1; i >= 0; i-- {
		if err := p.cleanups[i](); err != nil {
			errs = append(errs, fmt.Errorf("clean up after %s: %w", p.Name, err))
		}
	}
	p.cleanups = nil
	return errs
}

func signalGroup(pgid int, sig syscall.Signal) error {
	if pgid <= 0 {
		return fmt.Errorf("refusing to signal process group %d", pgid)
	}
	return syscall.Kill(-pgid, sig)
}

// FreePort returns a TCP port that was free on 127.0.0.1 a moment ago.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free loopback port: %w", err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	if err := l.Close(); err != nil {
		return 0, fmt.Errorf("release probe port %d: %w", port, err)
	}
	return port, nil
}

// RepoRoot walks up from the working directory to the folder holding go.mod. It
// prefers a folder that also holds scripts/install-local-tools.sh, so that a nested Go
// module (a CDK app in infra/, say) still finds the repository's .local/tools.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("find repo root: %w", err)
	}
	firstModule := ""
	for {
		if fileExists(filepath.Join(dir, "go.mod")) {
			if fileExists(filepath.Join(dir, "scripts", "install-local-tools.sh")) {
				return dir, nil
			}
			if firstModule == "" {
				firstModule = dir
			}
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			break
		}
		dir = parent
	}
	if firstModule != "" {
		return firstModule, nil
	}
	return "", errors.New("find repo root: no go.mod in the working directory or above it")
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// toolsDir is where scripts/install-local-tools.sh puts the servers.
func toolsDir(root string) string { return filepath.Join(root, ".local", "tools") }

// prepare fills in Root and makes every path absolute: the servers run in other
// working directories, where a relative path would point somewhere else.
func prepare(o Options) (Options, error) {
	if o.Root == "" {
		root, err := RepoRoot()
		if err != nil {
			return o, err
		}
		o.Root = root
	}
	for _, p := range []*string{&o.Root, &o.DataDir, &o.LogFile} {
		if *p == "" {
			continue
		}
		abs, err := filepath.Abs(*p)
		if err != nil {
			return o, fmt.Errorf("resolve %s: %w", *p, err)
		}
		*p = abs
	}
	return o, nil
}

// requireFile returns ErrToolsMissing naming path when it is absent.
func requireFile(path string) error {
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("%w (%s not found)", ErrToolsMissing, path)
	}
	return nil
}

// spec describes how to launch one server on a given port.
type spec struct {
	name  string
	build func(port int) (*exec.Cmd, []func() error, error)
	ready func(ctx context.Context, endpoint string) error
}

// start launches s, retrying on a new port when an automatically chosen one turned
// out to be taken, and waits until the server answers.
func start(ctx context.Context, o Options, s spec) (*Process, error) {
	if o.Port < 0 || o.Port > 65535 {
		return nil, fmt.Errorf("start %s: invalid port %d", s.name, o.Port)
	}
	var lastErr error
	for attempt := 0; attempt < portAttempts; attempt++ {
		port := o.Port
		if port == 0 {
			var err error
			if port, err = FreePort(); err != nil {
				return nil, fmt.Errorf("start %s: %w", s.name, err)
			}
		} else if err := portFree(port); err != nil {
			// Checked before starting, because a readiness check would be
			// answered by whoever holds the port (another `make dev`), and
			// this run would then write into their data.
			return nil, fmt.Errorf("start %s: %w", s.name, err)
		}
		p, err := launch(ctx, o, s, port)
		if err == nil {
			return p, nil
		}
		lastErr = err
		if o.Port != 0 || !errors.Is(err, errPortInUse) {
			break
		}
	}
	return nil, lastErr
}

var errPortInUse = errors.New("port already in use")

// ErrPortTaken is returned (wrapped, with the port) when a fixed port is held
// by another program before the server starts.
var ErrPortTaken = errors.New("is already in use by another program (another `make dev`?): stop it or choose another port")

// portFree reports ErrPortTaken when anything accepts connections on the port
// (on loopback or on every interface) or it cannot be bound on loopback.
func portFree(port int) error {
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	if c, err := net.DialTimeout("tcp", addr, 300*time.Millisecond); err == nil {
		c.Close()
		return fmt.Errorf("port %d %w", port, ErrPortTaken)
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("port %d %w (%v)", port, ErrPortTaken, err)
	}
	return l.Close()
}

func launch(ctx context.Context, o Options, s spec, port int) (*Process, error) {
	cmd, cleanups, err := s.build(port)
	if err != nil {
		runCleanups(cleanups)
		return nil, err
	}
	p := &Process{
		Name:     s.name,
		Endpoint: "http://127.0.0.1:" + strconv.Itoa(port),
		Port:     port,
		cmd:      cmd,
		exited:   make(chan struct{}),
		tail:     &tailBuffer{max: logTailBytes},
		cleanups: cleanups,
	}
	var out io.Writer = p.tail
	if o.LogFile != "" {
		if err := os.MkdirAll(filepath.Dir(o.LogFile), 0o755); err != nil {
			p.release()
			return nil, fmt.Errorf("start %s: create log folder: %w", s.name, err)
		}
		f, err := os.OpenFile(o.LogFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			p.release()
			return nil, fmt.Errorf("start %s: open log file: %w", s.name, err)
		}
		p.logFile = f
		out = io.MultiWriter(f, p.tail)
	}
	cmd.Stdout = out
	cmd.Stderr = out
	// Its own process group: signals aimed at our terminal's group (Ctrl-C) do not
	// reach it directly, and Stop can kill everything it forked in one call.
	cmd.SysProcAttr = sysProcAttr()
	// If the server hands its stdout to a child that outlives it, do not let Wait
	// block on the pipe forever.
	cmd.WaitDelay = 2 * time.Second

	if err := cmd.Start(); err != nil {
		p.release()
		return nil, fmt.Errorf("start %s: %w", s.name, err)
	}
	p.PID = cmd.Process.Pid
	go func() {
		p.waitErr = cmd.Wait()
		close(p.exited)
	}()
	// The server lives as long as ctx: a cancelled test or `make dev` run takes it down.
	go func() {
		select {
		case <-ctx.Done():
			p.terminate()
		case <-p.exited:
		}
	}()

	timeout := o.StartTimeout
	if timeout <= 0 {
		timeout = DefaultStartTimeout
	}
	if err := waitReady(ctx, p, s.ready, timeout); err != nil {
		p.terminate()
		p.release()
		return nil, err
	}
	return p, nil
}

func runCleanups(cleanups []func() error) {
	for i := len(cleanups) - 1; i >= 0; i-- {
		_ = cleanups[i]()
	}
}

// waitReady polls ready until it succeeds, the process dies, ctx ends or timeout passes.
func waitReady(ctx context.Context, p *Process, ready func(context.Context, string) error, timeout time.Duration) error {
	started := time.Now()
	// A check can hang on a port someone else holds; end it as soon as the server dies.
	checkCtx, cancelChecks := context.WithCancel(ctx)
	defer cancelChecks()
	go func() {
		select {
		case <-p.exited:
			cancelChecks()
		case <-checkCtx.Done():
		}
	}()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	interval := 50 * time.Millisecond
	var lastErr error
	for {
		attemptCtx, cancel := context.WithTimeout(checkCtx, 5*time.Second)
		lastErr = ready(attemptCtx, p.Endpoint)
		cancel()
		if lastErr == nil {
			return nil
		}
		select {
		case <-p.exited:
			tail := p.tail.String()
			err := fmt.Errorf("start %s on port %d: exited before it was ready (%v); log tail:\n%s", p.Name, p.Port, p.waitErr, tail)
			if strings.Contains(strings.ToLower(tail), "address already in use") {
				err = fmt.Errorf("%w: %w", errPortInUse, err)
			}
			return err
		case <-ctx.Done():
			return fmt.Errorf("start %s on port %d: %w", p.Name, p.Port, ctx.Err())
		case <-deadline.C:
			return fmt.Errorf("start %s on port %d: not ready after %s (last check: %v); log tail:\n%s",
				p.Name, p.Port, time.Since(started).Round(time.Millisecond), lastErr, p.tail)
		case <-time.After(interval):
		}
		if interval < 250*time.Millisecond {
			interval *= 2
		}
	}
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	buf []byte
	max int
}

func (t *tailBuffer) Write(b []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, b...)
	if over := len(t.buf) - t.max; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	return len(b), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}

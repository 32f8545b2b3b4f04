package vmmctl_test

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"vmmctl.dev/vmmctl"
)

// Test helpers: each test starts its own vmmctl-sim under a fresh short
// root in /tmp (a unix socket path must stay under ~100 bytes, which
// t.TempDir() may not) and stops it when the test ends.

// srcRoot is the source tree: $VMMCTL_SRC, else two levels up from here.
func srcRoot() string {
	if s := os.Getenv("VMMCTL_SRC"); s != "" {
		return s
	}
	wd, _ := os.Getwd()
	return filepath.Clean(filepath.Join(wd, "..", ".."))
}

// buildDir is the build directory: $VMMCTL_BUILD, else <src>/build.
func buildDir() string {
	if s := os.Getenv("VMMCTL_BUILD"); s != "" {
		return s
	}
	return filepath.Join(srcRoot(), "build")
}

// simSysProcAttr sets OS-specific process attributes of a simulator.
var simSysProcAttr = func(*exec.Cmd) {}

func simBinary() string { return filepath.Join(buildDir(), "bin", "vmmctl-sim") }

// sim is one running simulator.
type sim struct {
	root string
	cmd  *exec.Cmd
	done chan error
	log  *lockedWriter
}

// startSim starts a vmmctl-sim with extra arguments (e.g. "--uid-limit",
// "2") and waits until its control socket accepts connections.  It returns
// the root; the returned stop function kills the sim and removes the root.
// On failure it returns an error (callers outside tests panic on it).
func startSim(args ...string) (*sim, error) {
	bin := simBinary()
	if _, err := os.Stat(bin); err != nil {
		return nil, fmt.Errorf("no simulator (build it with make): %w", err)
	}
	root, err := os.MkdirTemp("/tmp", "vmc.")
	if err != nil {
		return nil, err
	}
	// Others (an unprivileged child) must be able to reach the socket.
	if err := os.Chmod(root, 0o755); err != nil {
		os.RemoveAll(root)
		return nil, err
	}
	s := &sim{root: root, done: make(chan error, 1), log: &lockedWriter{}}
	s.cmd = exec.Command(bin, append([]string{"--root", root}, args...)...)
	s.cmd.Stdout = s.log
	simSysProcAttr(s.cmd)
	s.cmd.Stderr = s.cmd.Stdout
	if err := s.cmd.Start(); err != nil {
		os.RemoveAll(root)
		return nil, err
	}
	go func() { s.done <- s.cmd.Wait() }()
	sock := filepath.Join(root, "vmmctl")
	deadline := time.Now().Add(10 * time.Second)
	for {
		conn, err := net.Dial("unix", sock)
		if err == nil {
			conn.Close()
			return s, nil
		}
		select {
		case werr := <-s.done:
			os.RemoveAll(root)
			return nil, fmt.Errorf("vmmctl-sim exited early (%v): %s",
				werr, s.log.String())
		default:
		}
		if time.Now().After(deadline) {
			s.stop()
			return nil, fmt.Errorf("vmmctl-sim not ready after 10 s: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// stop sends SIGTERM, waits (killing it if it lingers) and removes the root.
func (s *sim) stop() error {
	var err error
	if s.cmd.Process != nil {
		s.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case err = <-s.done:
		case <-time.After(10 * time.Second):
			s.cmd.Process.Kill()
			<-s.done
			err = errors.New("vmmctl-sim ignored SIGTERM")
		}
	}
	os.RemoveAll(s.root)
	return err
}

// newSim starts a simulator for the test and stops it at the end.
func newSim(t testing.TB, args ...string) string {
	t.Helper()
	s, err := startSim(args...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.stop(); err != nil {
			t.Errorf("stopping the simulator: %v (log: %s)", err,
				s.log.String())
		}
	})
	return s.root
}

// open opens the test's sim and closes the Control at the end.
func open(t testing.TB, root string, opts ...vmmctl.Option) *vmmctl.Control {
	t.Helper()
	c, err := vmmctl.Open(root, opts...)
	if err != nil {
		t.Fatalf("Open(%q): %v", root, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// list lists through c, failing the test on error.  It sends no request of
// its own first: List itself must reflect a Close that returned before it
// was called (libvmmctl sends the sim a no-op request before reading
// <root>/vmm/, so the sim has processed every pending hang-up), as with the
// kernel, where the last close destroys synchronously.
func list(t testing.TB, c *vmmctl.Control) []string {
	t.Helper()
	names, err := c.List()
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	return names
}

func contains(names []string, name string) bool {
	for _, n := range names {
		if n == name {
			return true
		}
	}
	return false
}

// wantErrno checks that err is a *vmmctl.Error carrying errno.
func wantErrno(t testing.TB, what string, err error, errno syscall.Errno) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: no error, want %v", what, errno)
	}
	var e *vmmctl.Error
	if !errors.As(err, &e) {
		t.Fatalf("%s: error %v (%T) is not a *vmmctl.Error", what, err, err)
	}
	if e.Err != errno {
		t.Fatalf("%s: errno %d (%v), want %d (%v); error: %v", what,
			int(e.Err), e.Err, int(errno), errno, err)
	}
	if !errors.Is(err, errno) {
		t.Fatalf("%s: errors.Is(err, %v) is false", what, errno)
	}
}

type lockedWriter struct {
	mu sync.Mutex
	b  strings.Builder
}

func (w *lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func (w *lockedWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

// --- child processes -----------------------------------------------------
//
// Some tests re-execute this test binary with VMMCTL_GO_CHILD set to a mode;
// TestMain runs the mode instead of the tests.

const childEnv = "VMMCTL_GO_CHILD"

func TestMain(m *testing.M) {
	if mode := os.Getenv(childEnv); mode != "" {
		os.Exit(runChild(mode, os.Args))
	}
	os.Exit(m.Run())
}

// runChild runs one helper mode and returns the exit status.
func runChild(mode string, _ []string) int {
	fail := func(format string, a ...any) int {
		fmt.Fprintf(os.Stderr, "child %s: "+format+"\n", append([]any{mode}, a...)...)
		return 1
	}
	switch mode {
	case "hold":
		// Adopt fd 3, list, report, and hold it until stdin closes.
		f := os.NewFile(3, "inherited-vmmctl")
		c, err := vmmctl.FromFile(f)
		if err != nil {
			return fail("FromFile: %v", err)
		}
		f.Close() // the Control holds its own duplicate
		names, err := c.List()
		if err != nil {
			return fail("List: %v", err)
		}
		fmt.Printf("names %s\n", strings.Join(names, ","))
		io.Copy(io.Discard, os.Stdin)
		if err := c.Close(); err != nil {
			return fail("Close: %v", err)
		}
		return 0
	case "unpriv":
		// As an unprivileged uid: run the refusals and print errnos.
		root, victim := os.Getenv("VMMCTL_GO_ROOT"), os.Getenv("VMMCTL_GO_VICTIM")
		c, err := vmmctl.Open(root)
		if err != nil {
			return fail("Open: %v", err)
		}
		defer c.Close()
		report := func(what string, err error) {
			var e *vmmctl.Error
			switch {
			case err == nil:
				fmt.Printf("%s 0\n", what)
			case errors.As(err, &e):
				fmt.Printf("%s %d\n", what, int(e.Err))
			default:
				fmt.Printf("%s other:%v\n", what, err)
			}
		}
		fmt.Printf("uid %d\n", os.Getuid())
		err = c.Create("unpriv-persistent", vmmctl.Persistent)
		report("persistent", err)
		fmt.Printf("persistent-is-fs.ErrPermission %v\n", errors.Is(err, fs.ErrPermission))
		report("scoped", c.Create("unpriv-scoped", 0))
		report("destroy-other", c.Destroy(victim))
		report("destroy-own", c.Destroy("unpriv-scoped"))
		_, err = c.VMOpen(victim)
		report("vmopen-other", err)
		return 0
	}
	return fail("unknown mode")
}

// childCmd prepares this test binary to run a helper mode.
func childCmd(t testing.TB, mode string) *exec.Cmd {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+mode)
	cmd.Stderr = os.Stderr
	return cmd
}

// readLine reads one line from r or fails the test.
func readLine(t testing.TB, r *bufio.Reader) string {
	t.Helper()
	line, err := r.ReadString('\n')
	if err != nil {
		t.Fatalf("reading from the child: %v (got %q)", err, line)
	}
	return strings.TrimSuffix(line, "\n")
}

// parseReport turns "key value" lines into a map.
func parseReport(out string) map[string]string {
	m := map[string]string{}
	for _, line := range strings.Split(out, "\n") {
		if k, v, ok := strings.Cut(line, " "); ok {
			m[k] = v
		}
	}
	return m
}

func errnoString(e syscall.Errno) string { return strconv.Itoa(int(e)) }

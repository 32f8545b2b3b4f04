package vmmctl_test

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"vmmctl.dev/vmmctl"
	"vmmctl.dev/vmmctl/vmmctltest"
)

// Test helpers: each test starts its own simulator (package vmmctltest: in
// this process, under a fresh short root) and stops it when the test ends.

// deviceMode (-vmmctl.fuse) runs every simulator in device mode, where the
// library takes its character-device (ioctl) path: the module must be
// built with -tags vmmctl_fuse.
var deviceMode = flag.Bool("vmmctl.fuse", false,
	"run the simulators in device mode (needs -tags vmmctl_fuse)")

// newSim starts a simulator for the test and returns its root.  It has no
// per-uid VM limit unless opts set one: some tests create many VMs.
func newSim(t testing.TB, opts ...vmmctltest.Option) string {
	t.Helper()
	opts = append([]vmmctltest.Option{vmmctltest.UIDLimit(0)}, opts...)
	if *deviceMode {
		opts = append(opts, vmmctltest.Fuse())
	}
	return vmmctltest.Start(t, opts...).Root()
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

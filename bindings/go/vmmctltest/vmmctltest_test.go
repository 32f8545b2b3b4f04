package vmmctltest_test

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"

	"vmmctl.dev/vmmctl"
	"vmmctl.dev/vmmctl/vmmctltest"
)

func mustOpen(t *testing.T, root string) *vmmctl.Control {
	t.Helper()
	c, err := vmmctl.Open(root)
	if err != nil {
		t.Fatalf("Open(%q): %v", root, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func mustList(t *testing.T, c *vmmctl.Control) string {
	t.Helper()
	names, err := c.List()
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	return strings.Join(names, ",")
}

func isSocket(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.Mode()&fs.ModeSocket != 0
}

// TestStartCleanup: a simulator serves under a short root of its own, and
// the test's end destroys its VMs, closes the Controls Open gave and
// removes the root.
func TestStartCleanup(t *testing.T) {
	var (
		root string
		ctl  *vmmctl.Control
	)
	t.Run("inner", func(t *testing.T) {
		sim := vmmctltest.Start(t)
		root = sim.Root()
		if !filepath.IsAbs(root) || len(root) > 60 {
			t.Errorf("Root() = %q: want a short absolute path", root)
		}
		if st, err := os.Stat(root); err != nil || st.Mode().Perm() != 0o755 {
			t.Errorf("root %q: %v, %v; want a 0755 directory", root, st, err)
		}
		if !isSocket(filepath.Join(root, "vmmctl")) {
			t.Errorf("no socket %s/vmmctl", root)
		}
		var err error
		ctl, err = sim.Open()
		if err != nil {
			t.Fatal(err)
		}
		if err := ctl.Create("scoped", 0); err != nil {
			t.Fatal(err)
		}
		if err := ctl.Create("kept", vmmctl.Persistent); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(filepath.Join(root, "vmm", "kept")); err != nil {
			t.Errorf("no node for VM kept: %v", err)
		}
		other := mustOpen(t, root)
		if got := mustList(t, other); got != "kept,scoped" {
			t.Errorf("List = %q", got)
		}
	})
	if _, err := os.Lstat(root); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("root %s left behind: %v", root, err)
	}
	if ctl.Fd() != ^uintptr(0) {
		t.Error("the Control from Open is still open after the test")
	}
}

// TestClose: New and Close without a testing.TB; Controls still open then
// fail with a transport error, and Close is idempotent.
func TestClose(t *testing.T) {
	sim, err := vmmctltest.New()
	if err != nil {
		t.Fatal(err)
	}
	c, err := sim.Open()
	if err != nil {
		sim.Close()
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Create("x", 0); err != nil {
		t.Fatal(err)
	}
	if err := sim.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := sim.Close(); err != nil {
		t.Fatalf("Close again: %v", err)
	}
	err = c.Create("y", 0)
	if !errors.Is(err, syscall.EPIPE) && !errors.Is(err, syscall.ECONNRESET) &&
		!errors.Is(err, syscall.EIO) {
		t.Fatalf("Create after Close: %v, want EPIPE, ECONNRESET or EIO", err)
	}
	if _, err := os.Lstat(sim.Root()); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("root left behind: %v", err)
	}
}

// TestJails: each jail has its own view under JailRoot, nested ones too.
func TestJails(t *testing.T) {
	sim := vmmctltest.Start(t, vmmctltest.Jail("j1"), vmmctltest.Jail("a/b"))
	if got, want := sim.JailRoot("j1"), filepath.Join(sim.Root(), "jails", "j1"); got != want {
		t.Fatalf("JailRoot(j1) = %q, want %q", got, want)
	}
	for _, j := range []string{"j1", "a", "a/b"} {
		if !isSocket(filepath.Join(sim.JailRoot(j), "vmmctl")) {
			t.Errorf("jail %s: no socket under %s", j, sim.JailRoot(j))
		}
	}
	host, err := sim.Open()
	if err != nil {
		t.Fatal(err)
	}
	j1 := mustOpen(t, sim.JailRoot("j1"))
	a := mustOpen(t, sim.JailRoot("a"))
	b := mustOpen(t, sim.JailRoot("a/b"))
	for _, c := range []struct {
		ctl  *vmmctl.Control
		name string
	}{{j1, "in-j1"}, {b, "in-b"}, {host, "in-host"}} {
		if err := c.ctl.Create(c.name, 0); err != nil {
			t.Fatalf("Create %s: %v", c.name, err)
		}
	}
	for _, c := range []struct {
		ctl  *vmmctl.Control
		want string
	}{{host, "in-b,in-host,in-j1"}, {j1, "in-j1"}, {a, "in-b"}, {b, "in-b"}} {
		if got := mustList(t, c.ctl); got != c.want {
			t.Errorf("List = %q, want %q", got, c.want)
		}
	}
	err = j1.Create("in-b", 0)
	if !errors.Is(err, fs.ErrExist) {
		t.Errorf("Create of a name taken in another jail: %v, want EEXIST", err)
	}
}

func TestUIDLimit(t *testing.T) {
	sim := vmmctltest.Start(t, vmmctltest.UIDLimit(2))
	c, err := sim.Open()
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"l1", "l2"} {
		if err := c.Create(n, 0); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Create("l3", 0); !errors.Is(err, syscall.ENOMEM) {
		t.Fatalf("Create past the limit: %v, want ENOMEM", err)
	}
	// 0: no limit.
	sim = vmmctltest.Start(t, vmmctltest.UIDLimit(0))
	if c, err = sim.Open(); err != nil {
		t.Fatal(err)
	}
	for i := range 4*runtime.NumCPU() + 8 {
		if err := c.Create(fmt.Sprint("u", i), 0); err != nil {
			t.Fatalf("VM %d without a limit: %v", i, err)
		}
	}
}

// TestGeneration: the option reaches the modelled kernel.  Generation 1
// has no destroy-on-close (FREEBSD.md): a scoped create is refused
// (EINVAL, or EOPNOTSUPP = errors.ErrUnsupported once the library names
// it), a persistent one works; 2, 3 and 0 (the newest) take both.  Others
// are EINVAL.
func TestGeneration(t *testing.T) {
	for _, gen := range []int{0, 1, 2, 3} {
		sim := vmmctltest.Start(t, vmmctltest.Generation(gen))
		c, err := sim.Open()
		if err != nil {
			t.Fatal(err)
		}
		err = c.Create("scoped", 0)
		switch {
		case gen == 1 && !errors.Is(err, syscall.EINVAL) &&
			!errors.Is(err, errors.ErrUnsupported):
			t.Errorf("generation 1: scoped Create: %v, want EINVAL or "+
				"ErrUnsupported", err)
		case gen != 1 && err != nil:
			t.Errorf("generation %d: scoped Create: %v", gen, err)
		}
		if err := c.Create("kept", vmmctl.Persistent); err != nil {
			t.Errorf("generation %d: persistent Create: %v", gen, err)
		}
	}
	for _, gen := range []int{-1, 4, 99} {
		sim, err := vmmctltest.New(vmmctltest.Generation(gen))
		if !errors.Is(err, syscall.EINVAL) {
			t.Errorf("Generation(%d): %v, want EINVAL", gen, err)
		}
		if err == nil {
			sim.Close()
		}
	}
}

// TestBadOptions: refused options fail New with the host's errno and
// sentence, and leave no root behind (in a $TMPDIR of the test's own).
func TestBadOptions(t *testing.T) {
	tmp, err := os.MkdirTemp("/tmp", "vb")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(tmp) })
	t.Setenv("TMPDIR", tmp)
	for _, o := range []struct {
		opt  vmmctltest.Option
		want syscall.Errno
	}{
		{vmmctltest.Jail("vmm"), syscall.EINVAL},
		{vmmctltest.Jail(""), syscall.EINVAL},
		{vmmctltest.Jail("a\x00b"), syscall.EINVAL},
		{vmmctltest.UIDLimit(-1), syscall.EINVAL},
		{vmmctltest.UIDLimit(1 << 33), syscall.EINVAL},
	} {
		sim, err := vmmctltest.New(o.opt)
		if !errors.Is(err, o.want) || !strings.HasPrefix(err.Error(), "vmmctltest: ") {
			t.Errorf("%v, want %v", err, o.want)
		}
		if err == nil {
			sim.Close()
		}
	}
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Errorf("left behind in $TMPDIR: %v", left)
	}
	// The check sees a root: one that works is made there.
	sim := vmmctltest.Start(t)
	if filepath.Dir(sim.Root()) != tmp {
		t.Errorf("root %s is not under $TMPDIR %s", sim.Root(), tmp)
	}
}

// fakeTB records what Start does with its testing.TB.
type fakeTB struct {
	testing.TB
	fatal    string
	cleanups []func()
}

func (f *fakeTB) Helper() {}
func (f *fakeTB) Fatal(args ...any) {
	f.fatal = fmt.Sprint(args...)
	runtime.Goexit()
}
func (f *fakeTB) Cleanup(fn func()) { f.cleanups = append(f.cleanups, fn) }

// TestStartFails: a simulator that cannot start fails the test with the
// reason, and registers nothing.
func TestStartFails(t *testing.T) {
	f := &fakeTB{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		vmmctltest.Start(f, vmmctltest.Jail("vmmctl"))
		t.Error("Start returned")
	}()
	<-done
	if !strings.Contains(f.fatal, `Jail("vmmctl")`) ||
		!strings.Contains(f.fatal, "vmmctl") {
		t.Errorf("Fatal(%q): want the option and the host's reason", f.fatal)
	}
	if len(f.cleanups) != 0 {
		t.Errorf("%d cleanups registered by a failed Start", len(f.cleanups))
	}
}

// TestIndependent: simulators at once share nothing.
func TestIndependent(t *testing.T) {
	s1, s2 := vmmctltest.Start(t), vmmctltest.Start(t)
	if s1.Root() == s2.Root() {
		t.Fatal("two simulators, one root")
	}
	c1, c2 := mustOpen(t, s1.Root()), mustOpen(t, s2.Root())
	if err := c1.Create("same", 0); err != nil {
		t.Fatal(err)
	}
	if err := c2.Create("same", 0); err != nil {
		t.Fatalf("the name is taken in the other simulator: %v", err)
	}
	if err := s1.Close(); err != nil {
		t.Fatal(err)
	}
	if got := mustList(t, c2); got != "same" {
		t.Fatalf("after the other simulator stopped: %q", got)
	}
}

// The API as issue 15 states it.
var (
	_ func(testing.TB, ...vmmctltest.Option) *vmmctltest.Simulator = vmmctltest.Start
	_ interface {
		Root() string
		Open() (*vmmctl.Control, error)
		JailRoot(name string) string
	} = (*vmmctltest.Simulator)(nil)
	_ = []vmmctltest.Option{vmmctltest.Jail("j"), vmmctltest.UIDLimit(1),
		vmmctltest.Generation(3)}
)

// Package vmmctltest runs a private vmmctl simulator for tests: the kernel
// side of /dev/vmmctl, served from a thread of the test process under a
// fresh root directory, so that code using package vmmctl can be tested on
// any machine, without bhyve, root or a vmmctl-sim binary.
//
//	func TestAgent(t *testing.T) {
//		sim := vmmctltest.Start(t, vmmctltest.Jail("j1"))
//		c, err := sim.Open()
//		if err != nil {
//			t.Fatal(err)
//		}
//		err = c.Create("web", 0) // gone when c is closed
//		...
//		runAgent(sim.JailRoot("j1")) // what /dev is inside jail j1
//	}
//
// Each simulator has its own root, its own VMs and its own jails: tests may
// run in parallel.  Start stops the simulator and removes its root when
// the test ends; New and Close do the same without a testing.TB.  The root
// is a short directory under $TMPDIR (or /tmp when that path is long): a
// unix socket's path must stay under about 100 bytes.
package vmmctltest

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"

	"vmmctl.dev/vmmctl"
	"vmmctl.dev/vmmctl/internal/cabi"
)

type config struct {
	jails         []string
	uidLimit      int
	setUIDLimit   bool
	generation    int
	setGeneration bool
	fuse          bool
}

// An Option configures a simulator.
type Option func(*config)

// Jail adds jail name, one with allow.vmm: its own view of the VMs, served
// under JailRoot(name).  "a/b" nests jail b inside jail a (a is made too).
func Jail(name string) Option {
	return func(c *config) { c.jails = append(c.jails, name) }
}

// UIDLimit allows at most n VMs per uid (ENOMEM past it); 0 means no limit.
// Without it the simulator's default applies, as on the real kernel.
func UIDLimit(n int) Option {
	return func(c *config) { c.uidLimit, c.setUIDLimit = n, true }
}

// Generation selects the generation of /dev/vmmctl to model (1, 2 or 3;
// 0: the newest).  A generation this build does not model fails Start and
// New with an error matching errors.ErrUnsupported.
func Generation(n int) Option {
	return func(c *config) { c.generation, c.setGeneration = n, true }
}

// Fuse serves in device mode: Root() is mounted as a FUSE file system in
// which vmmctl is a file answering ioctl(2), as the real device does, so
// the library takes its character-device path.  It needs the module built
// with -tags vmmctl_fuse (Linux, libfuse3), /dev/fuse, and root or
// fusermount3; otherwise Start and New fail with an error matching
// errors.ErrUnsupported (ENOTSUP: built without it) or the reason.
func Fuse() Option {
	return func(c *config) { c.fuse = true }
}

// Simulator is one running simulator.
type Simulator struct {
	sim  *cabi.Sim
	root string
	tb   testing.TB // nil from New

	once     sync.Once
	closeErr error
}

// Start starts a simulator for the test or benchmark tb and registers its
// end with tb.Cleanup: every VM is destroyed, the Controls that Open gave
// are closed, and the root is removed.  A simulator that cannot start
// fails tb (tb.Fatal).
func Start(tb testing.TB, opts ...Option) *Simulator {
	tb.Helper()
	s, err := New(opts...)
	if err != nil {
		tb.Fatal(err)
	}
	s.tb = tb
	tb.Cleanup(func() {
		if err := s.Close(); err != nil {
			tb.Error(err)
		}
	})
	return s
}

// New starts a simulator; Close stops it.  Start is the usual way in tests.
func New(opts ...Option) (*Simulator, error) {
	var cfg config
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.setUIDLimit && (cfg.uidLimit < 0 || uint64(cfg.uidLimit) > 1<<32-1) {
		return nil, fmt.Errorf("vmmctltest: UIDLimit(%d): out of range: %w",
			cfg.uidLimit, syscall.EINVAL)
	}
	root, err := os.MkdirTemp(tempBase(), "vt")
	if err != nil {
		return nil, fmt.Errorf("vmmctltest: %w", err)
	}
	// Others may need to reach the sockets (a test's unprivileged child).
	if err := os.Chmod(root, 0o755); err != nil {
		os.RemoveAll(root)
		return nil, fmt.Errorf("vmmctltest: %w", err)
	}
	sim, err := cabi.NewSim(root)
	if err != nil {
		os.RemoveAll(root)
		return nil, fmt.Errorf("vmmctltest: %s: %w", root, err)
	}
	s := &Simulator{sim: sim, root: sim.Root()}
	if err := s.configure(&cfg); err != nil {
		sim.Free()
		os.RemoveAll(root)
		return nil, err
	}
	return s, nil
}

// configure applies cfg and starts serving.
func (s *Simulator) configure(cfg *config) error {
	fail := func(what string, err error) error {
		msg := s.sim.Err()
		if msg == "" {
			msg = err.Error()
		}
		return fmt.Errorf("vmmctltest: %s: %s: %w", what, msg, err)
	}
	for _, j := range cfg.jails {
		if err := s.sim.Jail(j); err != nil {
			return fail(fmt.Sprintf("Jail(%q)", j), err)
		}
	}
	if cfg.setUIDLimit {
		if err := s.sim.SetUIDLimit(uint32(cfg.uidLimit)); err != nil {
			return fail(fmt.Sprintf("UIDLimit(%d)", cfg.uidLimit), err)
		}
	}
	if cfg.setGeneration {
		if err := s.sim.SetGeneration(cfg.generation); err != nil {
			return fail(fmt.Sprintf("Generation(%d)", cfg.generation), err)
		}
	}
	if cfg.fuse {
		if err := s.sim.SetFuse(cabi.Fuse); err != nil {
			return fail("Fuse()", err)
		}
	}
	if err := s.sim.Start(); err != nil {
		return fail("starting", err)
	}
	return nil
}

// tempBase is $TMPDIR, or /tmp when that would make socket paths too long.
func tempBase() string {
	if d := os.TempDir(); len(d) <= 40 {
		return d
	}
	return "/tmp"
}

// Root returns the simulator's root: what /dev is on FreeBSD, for
// vmmctl.Open(root) and $VMMCTL_ROOT.  The control endpoint is
// Root()/vmmctl, a VM's node Root()/vmm/<name>.
func (s *Simulator) Root() string { return s.root }

// JailRoot returns the root of jail name (as given to Jail; "a/b" for a
// nested one): what /dev is inside that jail.
func (s *Simulator) JailRoot(name string) string {
	return filepath.Join(s.root, "jails", filepath.FromSlash(name))
}

// Open opens the host's control device, Root()/vmmctl.  With Start, the
// Control is closed when the test ends if it is still open; closing it
// earlier is fine.  For options (vmmctl.Inherit), or a jail's device, call
// vmmctl.Open with Root() or JailRoot(name).
func (s *Simulator) Open() (*vmmctl.Control, error) {
	c, err := vmmctl.Open(s.root)
	if err != nil {
		return nil, err
	}
	if s.tb != nil {
		s.tb.Cleanup(func() { c.Close() })
	}
	return c, nil
}

// Close stops the simulator: every VM is destroyed, calls through Controls
// still open fail (EPIPE, ECONNRESET or EIO), and the root is removed.
// Closing again returns the first result.
func (s *Simulator) Close() error {
	s.once.Do(func() {
		s.sim.Free()
		if err := os.RemoveAll(s.root); err != nil {
			s.closeErr = fmt.Errorf("vmmctltest: %w", err)
		}
	})
	return s.closeErr
}

// String describes the simulator, e.g. for a test's log.
func (s *Simulator) String() string {
	return "vmmctl simulator at " + s.root
}

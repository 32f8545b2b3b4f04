package vmmctl_test

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"vmmctl.dev/vmmctl"
	"vmmctl.dev/vmmctl/vmmctltest"
)

func TestLibraryVersion(t *testing.T) {
	v := vmmctl.LibraryVersion()
	if v.Major != vmmctl.VersionMajor || v.Minor != vmmctl.VersionMinor ||
		v.Patch != vmmctl.VersionPatch {
		t.Fatalf("library %v, header %d.%d.%d", v, vmmctl.VersionMajor,
			vmmctl.VersionMinor, vmmctl.VersionPatch)
	}
	want := fmt.Sprintf("%d.%d.%d", v.Major, v.Minor, v.Patch)
	if v.String() != want {
		t.Fatalf("String() = %q, want %q", v.String(), want)
	}
}

func TestConstants(t *testing.T) {
	if vmmctl.NameMax != 229 {
		t.Errorf("NameMax = %d, want 229", vmmctl.NameMax)
	}
	if vmmctl.Persistent != 1 {
		t.Errorf("Persistent = %d, want 1", vmmctl.Persistent)
	}
	var scoped vmmctl.CreateFlag
	if scoped != 0 {
		t.Errorf("zero CreateFlag = %d", scoped)
	}
}

var badNames = []struct {
	name  string
	errno syscall.Errno
}{
	{"", syscall.EINVAL},
	{".", syscall.EINVAL},
	{"..", syscall.EINVAL},
	{"a/b", syscall.EINVAL},
	{"/", syscall.EINVAL},
	{"a\x00b", syscall.EINVAL},
	{"\x00", syscall.EINVAL},
	{strings.Repeat("n", vmmctl.NameMax+1), syscall.ENAMETOOLONG},
	{strings.Repeat("n", 1000), syscall.ENAMETOOLONG},
}

func TestCheckName(t *testing.T) {
	for _, good := range []string{"a", "vm0", "...", ".a", "a.", "x-y_z",
		strings.Repeat("n", vmmctl.NameMax)} {
		if err := vmmctl.CheckName(good); err != nil {
			t.Errorf("CheckName(%q): %v", good, err)
		}
	}
	for _, bad := range badNames {
		err := vmmctl.CheckName(bad.name)
		wantErrno(t, fmt.Sprintf("CheckName(%q)", bad.name), err, bad.errno)
	}
}

func TestErrorType(t *testing.T) {
	err := vmmctl.CheckName("a/b")
	var e *vmmctl.Error
	if !errors.As(err, &e) {
		t.Fatalf("%v (%T) is not a *vmmctl.Error", err, err)
	}
	if e.Op != "check name" || e.Name != "a/b" || e.Err != syscall.EINVAL {
		t.Fatalf("Error = %+v", *e)
	}
	if errors.Unwrap(err) != syscall.EINVAL {
		t.Fatalf("Unwrap = %v", errors.Unwrap(err))
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, `vmmctl: check name "a/b": `) ||
		len(msg) <= len(`vmmctl: check name "a/b": `) {
		t.Fatalf("Error() = %q", msg)
	}
	// The message is the library's, not Go's.
	root := newSim(t)
	c := open(t, root)
	if err := c.Create("e1", vmmctl.Persistent); err != nil {
		t.Fatal(err)
	}
	defer c.Destroy("e1")
	err = c.Create("e1", 0)
	if !strings.HasPrefix(err.Error(), `vmmctl: create "e1": `) {
		t.Fatalf("Error() = %q", err.Error())
	}
}

// TestErrorUnsupported: EOPNOTSUPP, the library's answer for a request a
// kernel generation lacks, is errors.ErrUnsupported, like ENOTSUP and
// ENOSYS; other errnos are not.
func TestErrorUnsupported(t *testing.T) {
	for _, errno := range []syscall.Errno{syscall.EOPNOTSUPP,
		syscall.ENOTSUP, syscall.ENOSYS} {
		err := error(&vmmctl.Error{Op: "create", Name: "g", Err: errno})
		if !errors.Is(err, errors.ErrUnsupported) {
			t.Errorf("errno %d (%v): not errors.ErrUnsupported", int(errno), errno)
		}
		if !strings.HasPrefix(err.Error(), `vmmctl: create "g": `) {
			t.Errorf("Error() = %q", err.Error())
		}
	}
	for _, errno := range []syscall.Errno{syscall.EINVAL, syscall.EPERM,
		syscall.ENOTTY} {
		err := error(&vmmctl.Error{Op: "create", Err: errno})
		if errors.Is(err, errors.ErrUnsupported) {
			t.Errorf("errno %v is errors.ErrUnsupported", errno)
		}
	}
}

func TestOpenErrors(t *testing.T) {
	dir, err := os.MkdirTemp("/tmp", "vmc.")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })

	_, err = vmmctl.Open(dir)
	wantErrno(t, "Open(no vmmctl)", err, syscall.ENOENT)
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("errors.Is(%v, fs.ErrNotExist) is false", err)
	}

	if err := os.WriteFile(filepath.Join(dir, "vmmctl"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = vmmctl.Open(dir)
	wantErrno(t, "Open(regular file)", err, syscall.ENODEV)

	_, err = vmmctl.Open("/tmp/x\x00y")
	wantErrno(t, "Open(NUL in root)", err, syscall.EINVAL)
}

func TestOpenDefaultRoot(t *testing.T) {
	root := newSim(t)
	t.Setenv("VMMCTL_ROOT", root)
	c := open(t, "")
	if err := c.Create("dflt", 0); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "vmm", "dflt")); err != nil {
		t.Fatalf("VM node missing under $VMMCTL_ROOT: %v", err)
	}
}

func TestCreateDestroyList(t *testing.T) {
	root := newSim(t)
	c := open(t, root)

	if names := list(t, c); len(names) != 0 {
		t.Fatalf("fresh sim lists %q", names)
	}
	if err := c.Create("scoped", 0); err != nil {
		t.Fatalf("Create scoped: %v", err)
	}
	if err := c.Create("persist", vmmctl.Persistent); err != nil {
		t.Fatalf("Create persistent: %v", err)
	}
	if got := list(t, c); strings.Join(got, ",") != "persist,scoped" {
		t.Fatalf("List = %q", got)
	}
	for _, n := range []string{"scoped", "persist"} {
		if _, err := os.Stat(filepath.Join(root, "vmm", n)); err != nil {
			t.Errorf("no node for %s: %v", n, err)
		}
	}

	// One global namespace: either flag, either descriptor.
	err := c.Create("scoped", vmmctl.Persistent)
	wantErrno(t, "Create existing", err, syscall.EEXIST)
	if !errors.Is(err, fs.ErrExist) {
		t.Errorf("errors.Is(%v, fs.ErrExist) is false", err)
	}
	other := open(t, root)
	wantErrno(t, "Create existing elsewhere", other.Create("persist", 0),
		syscall.EEXIST)

	// Names are checked before any request.
	for _, bad := range badNames {
		wantErrno(t, fmt.Sprintf("Create(%q)", bad.name),
			c.Create(bad.name, 0), bad.errno)
		wantErrno(t, fmt.Sprintf("Destroy(%q)", bad.name),
			c.Destroy(bad.name), bad.errno)
	}
	wantErrno(t, "Create unknown flag", c.Create("flags", 2), syscall.EINVAL)
	wantErrno(t, "Create unknown flags", c.Create("flags", 0xffff0000),
		syscall.EINVAL)

	// Destroy from another descriptor, then again: ENOENT.
	if err := other.Destroy("scoped"); err != nil {
		t.Fatalf("Destroy scoped from another descriptor: %v", err)
	}
	err = c.Destroy("scoped")
	wantErrno(t, "Destroy missing", err, syscall.ENOENT)
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("errors.Is(%v, fs.ErrNotExist) is false", err)
	}
	if err := c.Destroy("persist"); err != nil {
		t.Fatalf("Destroy persistent: %v", err)
	}
	if names := list(t, c); len(names) != 0 {
		t.Fatalf("List after destroying all = %q", names)
	}
	// The longest name works.
	long := strings.Repeat("L", vmmctl.NameMax)
	if err := c.Create(long, 0); err != nil {
		t.Fatalf("Create(%d bytes): %v", len(long), err)
	}
	if got := list(t, c); len(got) != 1 || got[0] != long {
		t.Fatalf("List = %q", got)
	}
	if err := c.Destroy(long); err != nil {
		t.Fatal(err)
	}
}

func TestListGrows(t *testing.T) {
	root := newSim(t)
	c := open(t, root)
	// Far more than List's first buffer: it must loop on ERANGE.
	want := make([]string, 0, 40)
	for i := range 40 {
		n := fmt.Sprintf("%03d-%s", i, strings.Repeat("g", 150))
		if err := c.Create(n, 0); err != nil {
			t.Fatal(err)
		}
		want = append(want, n)
	}
	got := list(t, c)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("List returned %d names, want %d", len(got), len(want))
	}
}

func TestVMOpen(t *testing.T) {
	root := newSim(t)
	c := open(t, root)
	if err := c.Create("node", 0); err != nil {
		t.Fatal(err)
	}
	f, err := c.VMOpen("node")
	if err != nil {
		t.Fatalf("VMOpen: %v", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.Stat(filepath.Join(root, "vmm", "node"))
	if err != nil {
		t.Fatal(err)
	}
	if !os.SameFile(fi, want) {
		t.Fatalf("VMOpen opened %v, not <root>/vmm/node", fi.Name())
	}
	_, err = c.VMOpen("missing")
	wantErrno(t, "VMOpen missing", err, syscall.ENOENT)
	for _, bad := range badNames {
		_, err := c.VMOpen(bad.name)
		wantErrno(t, fmt.Sprintf("VMOpen(%q)", bad.name), err, bad.errno)
	}
}

func TestCloseScoping(t *testing.T) {
	root := newSim(t)
	c, err := vmmctl.Open(root)
	if err != nil {
		t.Fatal(err)
	}
	watcher := open(t, root)
	if err := c.Create("s1", 0); err != nil {
		t.Fatal(err)
	}
	if err := c.Create("s2", 0); err != nil {
		t.Fatal(err)
	}
	if err := c.Create("p1", vmmctl.Persistent); err != nil {
		t.Fatal(err)
	}
	if got := list(t, watcher); strings.Join(got, ",") != "p1,s1,s2" {
		t.Fatalf("before Close: %q", got)
	}
	if err := c.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if got := list(t, watcher); strings.Join(got, ",") != "p1" {
		t.Fatalf("after Close: %q, want only the persistent p1", got)
	}
	if _, err := os.Stat(filepath.Join(root, "vmm", "s1")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("node of s1 after Close: %v", err)
	}
	if err := watcher.Destroy("p1"); err != nil {
		t.Fatal(err)
	}
}

func TestClosedControl(t *testing.T) {
	root := newSim(t)
	c, err := vmmctl.Open(root)
	if err != nil {
		t.Fatal(err)
	}
	if c.Fd() == ^uintptr(0) {
		t.Fatal("Fd of an open Control is -1")
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if c.Fd() != ^uintptr(0) {
		t.Fatalf("Fd after Close = %d", c.Fd())
	}
	wantErrno(t, "Create after Close", c.Create("x", 0), syscall.EBADF)
	wantErrno(t, "Destroy after Close", c.Destroy("x"), syscall.EBADF)
	_, err = c.List()
	wantErrno(t, "List after Close", err, syscall.EBADF)
	_, err = c.VMOpen("x")
	wantErrno(t, "VMOpen after Close", err, syscall.EBADF)
	_, err = c.File()
	wantErrno(t, "File after Close", err, syscall.EBADF)
}

func TestInherit(t *testing.T) {
	root := newSim(t)
	cloexec := func(c *vmmctl.Control) bool {
		flags, _, e := syscall.Syscall(syscall.SYS_FCNTL, c.Fd(),
			syscall.F_GETFD, 0)
		if e != 0 {
			t.Fatalf("F_GETFD: %v", e)
		}
		return flags&syscall.FD_CLOEXEC != 0
	}
	if c := open(t, root); !cloexec(c) {
		t.Error("Open without Inherit: descriptor is not close-on-exec")
	}
	if c := open(t, root, vmmctl.Inherit()); cloexec(c) {
		t.Error("Open with Inherit: descriptor is close-on-exec")
	}
}

func TestFileFromFile(t *testing.T) {
	root := newSim(t)
	watcher := open(t, root)
	c, err := vmmctl.Open(root)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Create("shared", 0); err != nil {
		t.Fatal(err)
	}
	f, err := c.File()
	if err != nil {
		t.Fatalf("File: %v", err)
	}
	if f.Fd() == c.Fd() {
		t.Fatal("File returned the Control's own descriptor, not a dup")
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	// The dup keeps the descriptor, and so the VM, alive.
	if !contains(list(t, watcher), "shared") {
		t.Fatal("VM gone while a dup of its descriptor is open")
	}
	c2, err := vmmctl.FromFile(f)
	if err != nil {
		t.Fatalf("FromFile: %v", err)
	}
	// FromFile adopted its own dup: the caller's file is still the caller's.
	if err := f.Close(); err != nil {
		t.Fatalf("closing the caller's file: %v", err)
	}
	if !contains(list(t, c2), "shared") {
		t.Fatal("FromFile's Control does not see the VM")
	}
	if err := c2.Create("shared2", 0); err != nil {
		t.Fatal(err)
	}
	if err := c2.Close(); err != nil {
		t.Fatal(err)
	}
	if got := list(t, watcher); len(got) != 0 {
		t.Fatalf("after the last holder closed: %q", got)
	}
}

func TestFromFileErrors(t *testing.T) {
	devnull, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer devnull.Close()
	_, err = vmmctl.FromFile(devnull)
	wantErrno(t, "FromFile(/dev/null)", err, syscall.ENODEV)

	closed, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	closed.Close()
	_, err = vmmctl.FromFile(closed)
	wantErrno(t, "FromFile(closed)", err, syscall.EBADF)
	_, err = vmmctl.FromFile(nil)
	wantErrno(t, "FromFile(nil)", err, syscall.EBADF)
}

// TestChildKeepsVMs passes the descriptor to a child (this binary,
// re-executed) through ExtraFiles: the child adopts fd 3 with FromFile, and
// the scoped VM survives the parent's Close until the child exits.
func TestChildKeepsVMs(t *testing.T) {
	root := newSim(t)
	watcher := open(t, root)
	c, err := vmmctl.Open(root)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Create("kid", 0); err != nil {
		t.Fatal(err)
	}
	f, err := c.File()
	if err != nil {
		t.Fatal(err)
	}
	cmd := childCmd(t, "hold")
	cmd.ExtraFiles = []*os.File{f}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waited := false
	defer func() {
		if !waited {
			stdin.Close()
			cmd.Wait()
		}
	}()
	f.Close() // the child has its copy
	line := readLine(t, bufio.NewReader(stdout))
	if line != "names kid" {
		t.Fatalf("child listed %q, want \"names kid\"", line)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if !contains(list(t, watcher), "kid") {
		t.Fatal("the VM died with the parent's Close while the child holds the descriptor")
	}
	stdin.Close()
	waited = true
	if err := cmd.Wait(); err != nil {
		t.Fatalf("child: %v", err)
	}
	if got := list(t, watcher); contains(got, "kid") {
		t.Fatalf("the VM outlived both holders: %q", got)
	}
}

// TestUnprivileged checks the refusals for an unprivileged caller: running
// as root, it re-executes this binary as uid/gid 65534.
func TestUnprivileged(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("SKIP: needs root to run a child as an unprivileged uid " +
			"(the simulator treats the uid that started it as privileged)")
	}
	// The child must reach the sockets: $TMPDIR may be a private
	// directory, /tmp is not.
	t.Setenv("TMPDIR", "/tmp")
	root := newSim(t)
	// The endpoint is 0660 in the vmm group, as /dev/vmmctl: let uid 65534
	// in, as an administrator adding it to the group would.
	if err := os.Chmod(filepath.Join(root, "vmmctl"), 0o666); err != nil {
		t.Fatal(err)
	}
	c := open(t, root)
	if err := c.Create("victim", 0); err != nil {
		t.Fatal(err)
	}
	// The child must be able to execute the binary: copy it somewhere
	// world-readable.
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(exe)
	if err != nil {
		t.Fatal(err)
	}
	bindir, err := os.MkdirTemp("/tmp", "vmcbin.")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(bindir) })
	if err := os.Chmod(bindir, 0o755); err != nil {
		t.Fatal(err)
	}
	copyExe := filepath.Join(bindir, "vmmctl.test")
	if err := os.WriteFile(copyExe, data, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(copyExe, "-test.run=^$")
	cmd.Dir = bindir
	cmd.Env = append(os.Environ(), childEnv+"=unpriv", "VMMCTL_GO_ROOT="+root,
		"VMMCTL_GO_VICTIM=victim", "HOME="+bindir, "TMPDIR="+bindir)
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Credential: &syscall.Credential{Uid: 65534, Gid: 65534},
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("unprivileged child: %v\n%s", err, out)
	}
	r := parseReport(string(out))
	t.Logf("child report:\n%s", out)
	check := func(key string, want syscall.Errno) {
		t.Helper()
		if got := r[key]; got != errnoString(want) {
			t.Errorf("%s: child got %q, want %d (%v)", key, got, int(want), want)
		}
	}
	check("uid", 65534)
	check("persistent", syscall.EPERM)
	if r["persistent-is-fs.ErrPermission"] != "true" {
		t.Error("the EPERM error does not match fs.ErrPermission")
	}
	check("scoped", 0)
	check("destroy-other", syscall.EPERM)
	check("destroy-own", 0)
	check("vmopen-other", syscall.EACCES)
	if !contains(list(t, c), "victim") {
		t.Error("the unprivileged child destroyed root's VM")
	}
	if got := list(t, c); contains(got, "unpriv-persistent") || contains(got, "unpriv-scoped") {
		t.Errorf("the child's VMs outlived it: %q", got)
	}
}

func TestUIDLimit(t *testing.T) {
	root := newSim(t, vmmctltest.UIDLimit(2))
	c := open(t, root)
	if err := c.Create("l1", 0); err != nil {
		t.Fatal(err)
	}
	if err := c.Create("l2", 0); err != nil {
		t.Fatal(err)
	}
	wantErrno(t, "Create past the uid limit", c.Create("l3", 0), syscall.ENOMEM)
	if err := c.Destroy("l1"); err != nil {
		t.Fatal(err)
	}
	if err := c.Create("l3", 0); err != nil {
		t.Fatalf("Create after freeing a slot: %v", err)
	}
}

// TestConcurrent shares one Control among 32 goroutines, each with its own
// names, then closes it while more goroutines are still calling.
func TestConcurrent(t *testing.T) {
	root := newSim(t)
	c, err := vmmctl.Open(root)
	if err != nil {
		t.Fatal(err)
	}
	const workers, rounds = 32, 10
	var wg sync.WaitGroup
	errs := make(chan error, workers*rounds)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range rounds {
				name := fmt.Sprintf("g%02d-%d", w, r)
				if err := c.Create(name, 0); err != nil {
					errs <- fmt.Errorf("Create %s: %w", name, err)
					return
				}
				names, err := c.List()
				if err != nil {
					errs <- fmt.Errorf("List: %w", err)
					return
				}
				if !contains(names, name) {
					errs <- fmt.Errorf("List lacks %s", name)
					return
				}
				if err := c.Create(name, 0); !errors.Is(err, fs.ErrExist) {
					errs <- fmt.Errorf("second Create %s: %v", name, err)
					return
				}
				if r%2 == 0 {
					if err := c.Destroy(name); err != nil {
						errs <- fmt.Errorf("Destroy %s: %w", name, err)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	got := list(t, c)
	if len(got) != workers*rounds/2 {
		t.Fatalf("%d VMs left, want %d", len(got), workers*rounds/2)
	}

	// Close while calls are in flight: every call either works or gets
	// EBADF, nothing crashes, and Close happens once.
	start := make(chan struct{})
	results := make(chan error, workers*100)
	var wg2 sync.WaitGroup
	for w := range workers {
		wg2.Add(1)
		go func() {
			defer wg2.Done()
			<-start
			for i := range 100 {
				name := fmt.Sprintf("c%02d-%d", w, i)
				err := c.Create(name, 0)
				if err == nil {
					_, err = c.List()
				}
				results <- err
				if err != nil {
					return
				}
			}
		}()
	}
	var closeErrs [4]error
	var wg3 sync.WaitGroup
	for i := range closeErrs {
		wg3.Add(1)
		go func() {
			defer wg3.Done()
			<-start
			runtime.Gosched()
			closeErrs[i] = c.Close()
		}()
	}
	close(start)
	wg2.Wait()
	wg3.Wait()
	close(results)
	for i, err := range closeErrs {
		if err != nil {
			t.Errorf("Close #%d: %v", i, err)
		}
	}
	for err := range results {
		var e *vmmctl.Error
		if err != nil && (!errors.As(err, &e) || e.Err != syscall.EBADF) {
			t.Errorf("call racing Close: %v", err)
		}
	}
	watcher := open(t, root)
	if got := list(t, watcher); len(got) != 0 {
		t.Fatalf("after Close, %d scoped VMs remain", len(got))
	}
}

// TestCleanupSafetyNet drops a Control without Close: the cleanup closes it
// once the collector finds it, and its scoped VM goes away.
func TestCleanupSafetyNet(t *testing.T) {
	root := newSim(t)
	watcher := open(t, root)
	func() {
		c, err := vmmctl.Open(root)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Create("dropped", 0); err != nil {
			t.Fatal(err)
		}
	}()
	for range 200 {
		runtime.GC()
		if !contains(list(t, watcher), "dropped") {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("an unreachable Control was never closed by its cleanup")
}

// TestJails: a jail's endpoint sees its own VMs only, the host sees them
// all, and names stay global.
func TestJails(t *testing.T) {
	root := newSim(t, vmmctltest.Jail("a"), vmmctltest.Jail("b"))
	host := open(t, root)
	a := open(t, filepath.Join(root, "jails", "a"))
	b := open(t, filepath.Join(root, "jails", "b"))
	if err := a.Create("in-a", 0); err != nil {
		t.Fatal(err)
	}
	if got := list(t, a); strings.Join(got, ",") != "in-a" {
		t.Errorf("jail a lists %q", got)
	}
	if got := list(t, host); !contains(got, "in-a") {
		t.Errorf("the host does not see jail a's VM: %q", got)
	}
	if got := list(t, b); contains(got, "in-a") {
		t.Errorf("sibling jail b sees jail a's VM: %q", got)
	}
	wantErrno(t, "Create a name taken in a sibling jail", b.Create("in-a", 0),
		syscall.EEXIST)
	wantErrno(t, "Destroy a VM of a sibling jail", b.Destroy("in-a"),
		syscall.ENOENT)
	if err := host.Destroy("in-a"); err != nil {
		t.Fatalf("the host destroys jail a's VM: %v", err)
	}
}

// TestSimulatorGone: once the simulator has stopped, calls fail with one of
// the documented transport errors, and Close still works.
func TestSimulatorGone(t *testing.T) {
	s, err := vmmctltest.New()
	if err != nil {
		t.Fatal(err)
	}
	c, err := vmmctl.Open(s.Root())
	if err != nil {
		s.Close()
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("stopping the simulator: %v", err)
	}
	err = c.Create("orphan", 0)
	var e *vmmctl.Error
	if !errors.As(err, &e) {
		t.Fatalf("Create without a simulator: %v", err)
	}
	switch e.Err {
	case syscall.EIO, syscall.EPIPE, syscall.ECONNRESET:
	default:
		t.Fatalf("Create without a simulator: %v (errno %d), want EIO, "+
			"EPIPE or ECONNRESET", err, int(e.Err))
	}
	if err := c.Close(); err != nil {
		t.Fatalf("Close without a simulator: %v", err)
	}
}

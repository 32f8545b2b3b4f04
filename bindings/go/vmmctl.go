package vmmctl

/*
#include <stdlib.h>
#include "vmmctl.h"
*/
import "C"

import (
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"unsafe"
)

// Version of the C header this package was compiled against
// (VMMCTL_VERSION_MAJOR, _MINOR, _PATCH); LibraryVersion gives the library's.
const (
	VersionMajor = C.VMMCTL_VERSION_MAJOR
	VersionMinor = C.VMMCTL_VERSION_MINOR
	VersionPatch = C.VMMCTL_VERSION_PATCH
)

// NameMax is the longest VM name in bytes, excluding C's terminating NUL
// (VMMCTL_NAME_MAX).
const NameMax = C.VMMCTL_NAME_MAX

// CreateFlag selects how Create makes a VM.  The zero value makes a
// descriptor-scoped VM: it is destroyed when the last reference to the
// control descriptor goes away.
type CreateFlag uint32

// Persistent makes a VM that outlives the control descriptor
// (VMMCTL_CREATE_PERSISTENT).  It needs privilege; an unprivileged caller
// gets EPERM.
const Persistent CreateFlag = C.VMMCTL_CREATE_PERSISTENT

// Version is a library version, as returned by LibraryVersion.
type Version struct {
	Major, Minor, Patch int
}

func (v Version) String() string {
	return strconv.Itoa(v.Major) + "." + strconv.Itoa(v.Minor) + "." +
		strconv.Itoa(v.Patch)
}

// LibraryVersion returns the version of the libvmmctl linked in at run time
// (vmmctl_version).  Compare it with VersionMajor to detect a mismatch.
func LibraryVersion() Version {
	v := uint32(C.vmmctl_version())
	return Version{Major: int(v >> 16), Minor: int(v >> 8 & 0xff),
		Patch: int(v & 0xff)}
}

// Error is the error returned by every function of this package.  Err is
// the errno the C library returned, so errors.Is(err, fs.ErrExist),
// fs.ErrNotExist, fs.ErrPermission and errors.Is(err, syscall.EEXIST) work
// through Unwrap.
type Error struct {
	Op   string        // "open", "create", "destroy", "list", ...
	Name string        // the VM name or root path concerned, if any
	Err  syscall.Errno // the errno value returned by libvmmctl
}

// Error formats the error with the library's own message for Err
// (vmmctl_strerror), e.g. `vmmctl: create "db": unprivileged users can only
// create descriptor-scoped VMs`.
func (e *Error) Error() string {
	msg := C.GoString(C.vmmctl_strerror(C.int(e.Err)))
	s := "vmmctl: " + e.Op
	if e.Name != "" {
		s += " " + strconv.Quote(e.Name)
	}
	return s + ": " + msg
}

// Unwrap returns Err.
func (e *Error) Unwrap() error { return e.Err }

func mkerr(op, name string, rc C.int) error {
	if rc == 0 {
		return nil
	}
	return &Error{Op: op, Name: name, Err: syscall.Errno(rc)}
}

// cstring converts s for C, refusing strings with NUL bytes: C would see only
// the part before the first NUL, a different name.  The caller frees it.
func cstring(op, s string) (*C.char, error) {
	if strings.IndexByte(s, 0) >= 0 {
		return nil, &Error{Op: op, Name: s, Err: syscall.EINVAL}
	}
	return C.CString(s), nil
}

// CheckName checks a VM name without asking the kernel, with the library's
// rule (vmmctl_check_name): 1 to NameMax bytes, not "." or "..", no '/',
// no '"' and no white space.
// It returns nil, or an *Error with EINVAL or ENAMETOOLONG.  A name with a
// NUL byte is EINVAL, decided in Go without calling C; for every other
// string the result is exactly the C library's.
func CheckName(name string) error {
	cs, err := cstring("check name", name)
	if err != nil {
		return err
	}
	defer C.free(unsafe.Pointer(cs))
	return mkerr("check name", name, C.vmmctl_check_name(cs))
}

// Control is one control descriptor (a vmmctl_t handle): the VMs created
// through it without Persistent live as long as the descriptor does, that
// is until the last reference to it (this Control, dups from File, children
// that inherited it) is closed.
//
// A Control is safe for concurrent use by several goroutines.  Close it
// explicitly: a cleanup closes a Control that became unreachable, but when
// that happens is up to the garbage collector, and so is when its
// descriptor-scoped VMs go away.  Methods called after Close return an
// *Error with EBADF.
type Control struct {
	mu      sync.RWMutex // read: a call in progress; write: Close
	h       *C.vmmctl_t  // nil once closed
	cleanup runtime.Cleanup
}

type openConfig struct {
	flags C.uint32_t
}

// An Option changes how Open opens the control descriptor.
type Option func(*openConfig)

// Inherit leaves the descriptor inheritable across exec (VMMCTL_OPEN_INHERIT):
// without it the descriptor is close-on-exec.  To hand a Control to one
// child, File and exec.Cmd.ExtraFiles are usually the better way.
func Inherit() Option {
	return func(c *openConfig) { c.flags |= C.VMMCTL_OPEN_INHERIT }
}

// Open opens the control device <root>/vmmctl.  An empty root means the
// library's default: $VMMCTL_ROOT if set and non-empty, else "/dev".  The
// root of a running vmmctl-sim works the same way as /dev on FreeBSD.
func Open(root string, opts ...Option) (*Control, error) {
	var cfg openConfig
	for _, o := range opts {
		o(&cfg)
	}
	var croot *C.char
	if root != "" {
		cs, err := cstring("open", root)
		if err != nil {
			return nil, err
		}
		defer C.free(unsafe.Pointer(cs))
		croot = cs
	}
	var h *C.vmmctl_t
	if rc := C.vmmctl_open(croot, cfg.flags, &h); rc != 0 {
		return nil, mkerr("open", root, rc)
	}
	return newControl(h), nil
}

// FromFile makes a Control from an open control descriptor, e.g. one
// inherited from a parent through exec.Cmd.ExtraFiles (os.NewFile(3, ...) in
// the child) or received over a unix socket.  The Control adopts a duplicate
// of f's descriptor: f stays the caller's, to close whenever it likes (the
// duplicate keeps the descriptor's VMs alive meanwhile).
func FromFile(f *os.File) (*Control, error) {
	if f == nil {
		return nil, &Error{Op: "from file", Err: syscall.EBADF}
	}
	rc, err := f.SyscallConn()
	if err != nil {
		return nil, &Error{Op: "from file", Name: f.Name(), Err: syscall.EBADF}
	}
	dupfd, errno := -1, syscall.Errno(0)
	if err := rc.Control(func(fd uintptr) {
		dupfd, errno = dupCloexec(fd)
	}); err != nil {
		return nil, &Error{Op: "from file", Name: f.Name(), Err: syscall.EBADF}
	}
	if errno != 0 {
		return nil, &Error{Op: "from file", Name: f.Name(), Err: errno}
	}
	var h *C.vmmctl_t
	if rc := C.vmmctl_from_fd(C.int(dupfd), &h); rc != 0 {
		syscall.Close(dupfd) // left open by the library on failure
		return nil, mkerr("from file", f.Name(), rc)
	}
	return newControl(h), nil
}

func newControl(h *C.vmmctl_t) *Control {
	c := &Control{h: h}
	// The safety net: a Control dropped without Close still closes its
	// descriptor.  The cleanup gets the C pointer, never c itself.
	c.cleanup = runtime.AddCleanup(c, func(h *C.vmmctl_t) {
		C.vmmctl_close(h)
	}, h)
	return c
}

// dupCloexec duplicates fd with close-on-exec set atomically.
func dupCloexec(fd uintptr) (int, syscall.Errno) {
	r, _, e := syscall.Syscall(syscall.SYS_FCNTL, fd,
		syscall.F_DUPFD_CLOEXEC, 0)
	if e != 0 {
		return -1, e
	}
	return int(r), 0
}

// acquire takes the read lock and returns the handle, or EBADF once closed.
// The caller calls c.mu.RUnlock() when its C call has returned.
func (c *Control) acquire(op, name string) (*C.vmmctl_t, error) {
	c.mu.RLock()
	if c.h == nil {
		c.mu.RUnlock()
		return nil, &Error{Op: op, Name: name, Err: syscall.EBADF}
	}
	return c.h, nil
}

// Close closes the descriptor (vmmctl_close).  The descriptor-scoped VMs it
// owns are destroyed when this was the last reference to it; persistent VMs
// stay.  Close waits for calls in progress on other goroutines; later calls
// get EBADF.  Closing again returns nil.
func (c *Control) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.h == nil {
		return nil
	}
	c.cleanup.Stop()
	rc := C.vmmctl_close(c.h)
	c.h = nil
	runtime.KeepAlive(c)
	return mkerr("close", "", rc)
}

// withName runs one named request: it converts name for C, takes the
// handle (EBADF once closed), calls do with both, and returns do's result
// as an error of operation op.
func (c *Control) withName(op, name string,
	do func(h *C.vmmctl_t, cname *C.char) C.int) error {
	cs, err := cstring(op, name)
	if err != nil {
		return err
	}
	defer C.free(unsafe.Pointer(cs))
	h, err := c.acquire(op, name)
	if err != nil {
		return err
	}
	rc := do(h, cs)
	c.mu.RUnlock()
	runtime.KeepAlive(c)
	return mkerr(op, name, rc)
}

// Create creates the VM name: descriptor-scoped with flags 0, outliving the
// descriptor with Persistent.  The name is checked first, as by CheckName.
// Errors: EINVAL (bad name or flags), ENAMETOOLONG, EEXIST (fs.ErrExist:
// the name is taken, by anyone), EPERM (fs.ErrPermission: Persistent without
// privilege), ENOMEM (per-user VM limit), EOPNOTSUPP
// (errors.ErrUnsupported: a kernel generation without this request),
// EIO/EPIPE/ECONNRESET (the simulator went away).
func (c *Control) Create(name string, flags CreateFlag) error {
	return c.withName("create", name, func(h *C.vmmctl_t, cs *C.char) C.int {
		return C.vmmctl_create(h, cs, C.uint32_t(flags))
	})
}

// Destroy destroys the VM name, whichever descriptor owns it.  Errors:
// EINVAL (bad name), ENAMETOOLONG, ENOENT (fs.ErrNotExist: no such VM
// visible), EPERM (another user's VM, without privilege).
func (c *Control) Destroy(name string) error {
	return c.withName("destroy", name, func(h *C.vmmctl_t, cs *C.char) C.int {
		return C.vmmctl_destroy(h, cs)
	})
}

// listInitial is List's first buffer size; it grows on ERANGE.
var listInitial = 512

// List returns the names of the VMs visible through this descriptor, sorted.
func (c *Control) List() ([]string, error) {
	h, err := c.acquire("list", "")
	if err != nil {
		return nil, err
	}
	defer c.mu.RUnlock()
	buf := make([]byte, listInitial)
	for {
		var n C.size_t
		rc := C.vmmctl_list(h, (*C.char)(unsafe.Pointer(&buf[0])),
			C.size_t(len(buf)), &n)
		runtime.KeepAlive(c)
		if rc == C.int(syscall.ERANGE) {
			// The set may grow between calls: take what was asked
			// for, with room to spare, and try again.
			size := int(n) + int(n)/4 + 64
			if size <= len(buf) {
				size = 2 * len(buf)
			}
			buf = make([]byte, size)
			continue
		}
		if rc != 0 {
			return nil, mkerr("list", "", rc)
		}
		names := []string{}
		for _, s := range strings.Split(string(buf[:n]), "\x00") {
			if s != "" {
				names = append(names, s)
			}
		}
		sort.Strings(names)
		return names, nil
	}
}

// VMOpen opens the VM's device node <root>/vmm/<name> read-write and
// close-on-exec.  The file is the caller's to close.  Errors: EINVAL,
// ENAMETOOLONG, ENOENT (no such VM visible), EACCES (another user's VM).
func (c *Control) VMOpen(name string) (*os.File, error) {
	var fd C.int
	err := c.withName("vm open", name, func(h *C.vmmctl_t, cs *C.char) C.int {
		return C.vmmctl_vm_open(h, cs, &fd)
	})
	if err != nil {
		return nil, err
	}
	return os.NewFile(uintptr(fd), "vmm/"+name), nil
}

// File returns a duplicate of the control descriptor, close-on-exec, as an
// *os.File owned by the caller.  It shares the VMs' lifetime: pass it to a
// child with exec.Cmd.ExtraFiles (the child adopts it with FromFile) and the
// descriptor-scoped VMs live until both this Control and the child are done.
func (c *Control) File() (*os.File, error) {
	h, err := c.acquire("file", "")
	if err != nil {
		return nil, err
	}
	fd := C.vmmctl_fd(h)
	var dupfd int
	var errno syscall.Errno
	if fd < 0 {
		errno = syscall.EBADF
	} else {
		dupfd, errno = dupCloexec(uintptr(fd))
	}
	c.mu.RUnlock()
	runtime.KeepAlive(c)
	if errno != 0 {
		return nil, &Error{Op: "file", Err: errno}
	}
	return os.NewFile(uintptr(dupfd), "vmmctl"), nil
}

// Fd returns the control descriptor, still owned by the Control (for
// poll(2) and the like): it is valid only until Close.  It returns
// ^uintptr(0) once the Control is closed.  Prefer File to hand it on.
func (c *Control) Fd() uintptr {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.h == nil {
		return ^uintptr(0)
	}
	fd := C.vmmctl_fd(c.h)
	runtime.KeepAlive(c)
	if fd < 0 {
		return ^uintptr(0)
	}
	return uintptr(fd)
}

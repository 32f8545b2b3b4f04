// Package vmmctl creates and destroys descriptor-scoped bhyve VMs through
// FreeBSD's /dev/vmmctl, or through vmmctl-sim where there is no bhyve.  It is
// a cgo binding of libvmmctl: it includes the library's one public header,
// capi/include/vmmctl.h, and links the library; nothing is retyped.
//
// A VM created through a [Control] without flags is descriptor-scoped: the
// kernel destroys it when the last reference to the control descriptor goes
// away (Close, process exit, crash).  With [Persistent] (privileged callers
// only) it outlives the descriptor.  Like any open file, the descriptor is
// shared by duplicates: [Control.File] returns one to pass to a child through
// exec.Cmd.ExtraFiles, where [FromFile] adopts it; the scoped VMs then live
// until both sides are done.
//
//	c, err := vmmctl.Open("") // $VMMCTL_ROOT, else /dev
//	if err != nil { ... }
//	defer c.Close()
//	err = c.Create("web", 0) // gone when c (and every dup) is closed
//	err = c.Create("db", vmmctl.Persistent)
//	names, err := c.List()
//
// # Errors
//
// Every error is an [*Error] carrying the errno the library returned, with
// the library's own message (vmmctl_strerror).  It unwraps to a
// [syscall.Errno], so errors.Is(err, fs.ErrExist) (EEXIST: the name is
// taken), fs.ErrNotExist (ENOENT: no such VM) and fs.ErrPermission (EPERM:
// e.g. Persistent without privilege) work, as does errors.Is(err,
// syscall.ENOMEM) for the per-user VM limit, and errors.ErrUnsupported
// for EOPNOTSUPP (a request the kernel's generation does not have).  Names
// are checked before any request ([CheckName]): EINVAL for "", ".", "..",
// a '/' or a NUL byte, ENAMETOOLONG beyond [NameMax] bytes.  Go strings may hold NUL bytes, C
// strings may not: such a name (or root) is refused with EINVAL without
// calling C; on every other string CheckName agrees with the C library.
//
// # Concurrency and lifetime
//
// A Control may be used by several goroutines at once.  Close is explicit
// and idempotent: it waits for calls in progress, and later calls return
// EBADF.  A Control that becomes unreachable without Close is closed by a
// cleanup (runtime.AddCleanup) as a safety net, at a time of the garbage
// collector's choosing: do not rely on it to end scoped VMs.
//
// # Testing
//
// Package [vmmctl.dev/vmmctl/vmmctltest] runs a private simulator in the
// test process, no binary or privilege needed:
//
//	sim := vmmctltest.Start(t, vmmctltest.Jail("j1")) // stopped at the end of t
//	c, err := sim.Open()
//
// and "go install vmmctl.dev/vmmctl/cmd/vmmctl-sim" builds the simulator
// daemon, with the options of the C one.  Both serve a unix socket; with
// -tags vmmctl_fuse (Linux, libfuse3) they can also serve in device mode
// (vmmctltest.Fuse(), --fuse), where the library takes the ioctl path of
// the real device.
//
// # Building
//
// The package needs cgo (CGO_ENABLED=1 and a C compiler); without it the
// build fails saying so.  By default the module compiles the C it needs
// from its own files: internal/cabi holds generated copies of libvmmctl,
// the kernel core and the simulator host, so "go get vmmctl.dev/vmmctl"
// is all it takes, and the program has nothing to load at run time.
//
// With -tags vmmctl_system it links an installed libvmmctl instead, found
// with "pkg-config vmmctl" (set PKG_CONFIG_PATH for an unusual prefix):
// the installed header, and the installed static archive libvmmctl.a, so
// the program runs without the library on the loader's path.  The
// simulator of vmmctltest and cmd/vmmctl-sim is still compiled from the
// module (libvmmctl's own copies are left out).  The tags of earlier
// versions, vmmctl_pkgconfig and vmmctl_external, now fail the build:
// use vmmctl_system, and CGO_CFLAGS for extra compiler flags.
package vmmctl

//! Descriptor-scoped bhyve VMs through `/dev/vmmctl`: the safe Rust API over
//! libvmmctl (in the manner of rust-vmm's `kvm-ioctls`: small safe types over
//! owned descriptors, raw FFI in [`sys`]).
//!
//! A [`Vmmctl`] owns one control descriptor.  A VM created through it without
//! flags is *descriptor-scoped*: the kernel destroys it when the last
//! reference to that descriptor goes away — when the [`Vmmctl`] is dropped,
//! when the process exits or crashes — unless a `dup`ed or inherited copy of
//! the descriptor is still open somewhere (see [`Vmmctl::try_clone_fd`],
//! [`OpenFlags::INHERIT`]).  A VM created with [`CreateFlags::PERSISTENT`]
//! (privileged) outlives the descriptor and must be destroyed explicitly.
//!
//! The same calls work against FreeBSD's `/dev/vmmctl` and against
//! `vmmctl-sim`, a userspace model of the kernel side that [`sim::Simulator`]
//! starts for tests.  Errors are [`std::io::Error`]s carrying the raw `errno`,
//! so [`ErrorKind`](std::io::ErrorKind) comes out right: `AlreadyExists`
//! (`EEXIST`), `NotFound` (`ENOENT`), `PermissionDenied` (`EPERM`),
//! `InvalidInput` (`EINVAL`), …
//!
//! # Example
//!
//! ```
//! use std::io::ErrorKind;
//! use vmmctl::{CreateFlags, Vmmctl};
//!
//! # fn main() -> std::io::Result<()> {
//! // A private simulator under a fresh temporary root (finds vmmctl-sim
//! // through $VMMCTL_SIM, $VMMCTL_BUILD/bin or $PATH); on a FreeBSD host
//! // with bhyve, Vmmctl::open() uses /dev/vmmctl instead.
//! let sim = vmmctl::sim::Simulator::start()?;
//!
//! let ctl = Vmmctl::open_at(sim.root())?;
//! ctl.create("doc-scoped", CreateFlags::empty())?;
//! ctl.create("doc-persistent", CreateFlags::PERSISTENT)?;
//! let mut names = ctl.list()?;
//! names.sort();
//! assert_eq!(names, ["doc-persistent", "doc-scoped"]);
//!
//! // One global namespace.
//! let err = ctl.create("doc-scoped", CreateFlags::empty()).unwrap_err();
//! assert_eq!(err.kind(), ErrorKind::AlreadyExists);
//!
//! // Dropping the descriptor destroys the VMs it owns; persistent ones stay.
//! drop(ctl);
//! let ctl = Vmmctl::open_at(sim.root())?;
//! assert_eq!(ctl.list()?, ["doc-persistent"]);
//! ctl.destroy("doc-persistent")?;
//! assert_eq!(
//!     ctl.destroy("doc-persistent").unwrap_err().kind(),
//!     ErrorKind::NotFound
//! );
//! # Ok(())
//! # }
//! ```
//!
//! # Lifetimes
//!
//! - [`Vmmctl`] closes its descriptor on drop (`vmmctl_close`); its scoped
//!   VMs die then, unless another reference to the same open file
//!   description exists (a `dup`, a child process that inherited it, a copy
//!   sent over a unix socket).
//! - [`VmGuard`] (from [`Vmmctl::create_guarded`]) borrows the [`Vmmctl`] and
//!   destroys its VM when dropped, so a VM can be given a shorter life than
//!   the descriptor, and a persistent VM a scope at all.
//! - [`Vmmctl::vm_open`] returns the VM's device node as an [`OwnedFd`]
//!   owned by the caller; holding it does not keep the VM alive.
//!
//! # Names
//!
//! VM names are byte strings: 1 to [`NAME_MAX`] bytes, not `.` or `..`, no
//! `/` (see [`check_name`]).  Functions take any `AsRef<OsStr>` (`&str`,
//! `String`, `&OsStr`, …).  A name with an interior NUL byte is refused with
//! `InvalidInput` without calling the library.

#![deny(missing_docs)]
#![deny(unsafe_op_in_unsafe_fn)]

use std::ffi::{c_char, CStr, CString, OsStr, OsString};
use std::fmt;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, IntoRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::Path;
use std::ptr::{self, NonNull};

pub mod sim;

/// The raw FFI bindings this crate is built on (the `vmmctl-sys` crate),
/// including the kernel ABI in [`sys::kernel_abi`].
pub use vmmctl_sys as sys;

/// Longest VM name in bytes, excluding the terminating NUL
/// (`VMMCTL_NAME_MAX`).
pub const NAME_MAX: usize = sys::VMMCTL_NAME_MAX as usize;

/// `errno` values this crate needs itself; identical on Linux, FreeBSD and
/// macOS.
mod errno {
    pub const EINVAL: i32 = 22;
    pub const ERANGE: i32 = 34;
}

/// Turns a library return value (0 or a positive `errno`) into a result.
fn check(rc: i32) -> io::Result<()> {
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::from_raw_os_error(rc))
    }
}

/// A name or path as a C string; an interior NUL is `InvalidInput` (as
/// `EINVAL`, so `raw_os_error()` is consistent with the library's errors).
fn cstring(s: &OsStr) -> io::Result<CString> {
    CString::new(s.as_bytes()).map_err(|_| io::Error::from_raw_os_error(errno::EINVAL))
}

macro_rules! flags_type {
    (
        $(#[$meta:meta])*
        $name:ident {
            $( $(#[$fmeta:meta])* const $flag:ident = $value:expr; )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
        pub struct $name(u32);

        impl $name {
            $( $(#[$fmeta])* pub const $flag: Self = Self($value); )*

            /// No flags set.
            pub const fn empty() -> Self {
                Self(0)
            }

            /// Every flag this version knows.
            pub const fn all() -> Self {
                Self(0 $(| $value)*)
            }

            /// The raw bits, as the C API takes them.
            pub const fn bits(self) -> u32 {
                self.0
            }

            /// The flags for `bits`, or `None` if it has bits this version
            /// does not know.
            pub const fn from_bits(bits: u32) -> Option<Self> {
                if bits & !Self::all().0 == 0 {
                    Some(Self(bits))
                } else {
                    None
                }
            }

            /// The flags for `bits`, unknown bits kept (the library refuses
            /// them with `EINVAL`).
            pub const fn from_bits_retain(bits: u32) -> Self {
                Self(bits)
            }

            /// Whether no flag is set.
            pub const fn is_empty(self) -> bool {
                self.0 == 0
            }

            /// Whether every flag of `other` is set in `self`.
            pub const fn contains(self, other: Self) -> bool {
                self.0 & other.0 == other.0
            }
        }

        impl std::ops::BitOr for $name {
            type Output = Self;
            fn bitor(self, rhs: Self) -> Self {
                Self(self.0 | rhs.0)
            }
        }

        impl std::ops::BitOrAssign for $name {
            fn bitor_assign(&mut self, rhs: Self) {
                self.0 |= rhs.0;
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                let mut rest = self.0;
                let mut first = true;
                write!(f, "{}(", stringify!($name))?;
                $(
                    if $value != 0 && rest & $value == $value {
                        write!(f, "{}{}", if first { "" } else { " | " }, stringify!($flag))?;
                        rest &= !$value;
                        first = false;
                    }
                )*
                if rest != 0 {
                    write!(f, "{}{:#x}", if first { "" } else { " | " }, rest)?;
                } else if first {
                    write!(f, "empty")?;
                }
                write!(f, ")")
            }
        }
    };
}

flags_type! {
    /// Flags of [`Vmmctl::create`].  [`CreateFlags::empty()`] makes a
    /// descriptor-scoped VM (the kernel's `VMMCTL_CREATE_DESTROY_ON_CLOSE`).
    CreateFlags {
        /// The VM outlives the descriptor (`VMMCTL_CREATE_PERSISTENT`);
        /// privileged: unprivileged callers get `PermissionDenied`.
        const PERSISTENT = sys::VMMCTL_CREATE_PERSISTENT;
    }
}

flags_type! {
    /// Flags of [`Vmmctl::open_with`].
    OpenFlags {
        /// Don't set close-on-exec (`VMMCTL_OPEN_INHERIT`): child processes
        /// inherit the descriptor and, with it, a share in its VMs.
        const INHERIT = sys::VMMCTL_OPEN_INHERIT;
    }
}

/// A libvmmctl version, as `vmmctl_version()` encodes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Version {
    /// Incompatible changes.
    pub major: u8,
    /// Compatible additions.
    pub minor: u8,
    /// Fixes.
    pub patch: u8,
}

impl Version {
    /// The version of the header these bindings were generated from.
    pub const HEADER: Version = Version::from_raw(sys::VMMCTL_VERSION);

    /// Decodes `(major << 16) | (minor << 8) | patch`.
    pub const fn from_raw(raw: u32) -> Version {
        Version {
            major: (raw >> 16) as u8,
            minor: (raw >> 8) as u8,
            patch: raw as u8,
        }
    }

    /// Encodes as `(major << 16) | (minor << 8) | patch`.
    pub const fn to_raw(self) -> u32 {
        (self.major as u32) << 16 | (self.minor as u32) << 8 | self.patch as u32
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

/// The version of the libvmmctl linked in, at run time.  Compare with
/// [`Version::HEADER`] to detect a mismatch.
pub fn library_version() -> Version {
    // SAFETY: no arguments, no preconditions.
    Version::from_raw(unsafe { sys::vmmctl_version() })
}

/// Checks a VM name without asking the kernel: 1 to [`NAME_MAX`] bytes, not
/// `.` or `..`, no `/`.  Errors: `InvalidInput` (`EINVAL`: empty, `.`, `..`,
/// `/`, interior NUL), `ENAMETOOLONG`.
pub fn check_name(name: impl AsRef<OsStr>) -> io::Result<()> {
    let name = cstring(name.as_ref())?;
    // SAFETY: a NUL-terminated string that outlives the call.
    check(unsafe { sys::vmmctl_check_name(name.as_ptr()) })
}

/// The library's message for an `errno` it returned, in its context (e.g.
/// `EPERM` on create reads "unprivileged users can only create
/// descriptor-scoped VMs").  [`std::io::Error`]'s own message is the
/// system's `strerror`.
pub fn strerror(errno: i32) -> &'static str {
    // SAFETY: vmmctl_strerror accepts any value and returns a static,
    // NUL-terminated string that is never freed.
    let s = unsafe { CStr::from_ptr(sys::vmmctl_strerror(errno)) };
    s.to_str().unwrap_or("unknown error")
}

/// One control descriptor (`vmmctl_t`): creates, destroys and lists VMs.
///
/// Dropping it closes the descriptor; the VMs it created without
/// [`CreateFlags::PERSISTENT`] are destroyed when the last reference to the
/// descriptor goes (this one, unless it was duplicated or inherited).
/// Use [`Vmmctl::close`] to see a close error.
///
/// `Vmmctl` is `Send` and `Sync`: share it between threads with `&` or an
/// `Arc`.
pub struct Vmmctl {
    handle: NonNull<sys::vmmctl_t>,
}

// SAFETY: libvmmctl documents that "a handle may be used from several threads
// at once" (vmmctl.h): every call on a handle is safe concurrently with any
// other call on it (the simulator transport serialises requests with a
// per-handle mutex, the ioctl transport is one system call per request), so
// `&Vmmctl` may be shared (Sync).  The handle has no thread affinity, so it
// may also be moved to, used by and closed from another thread (Send).
// vmmctl_close() frees the handle and needs exclusive access: it is only
// called from Drop/close, which take `self` by value.
unsafe impl Send for Vmmctl {}
// SAFETY: see above.
unsafe impl Sync for Vmmctl {}

impl Vmmctl {
    /// Opens the control device of `$VMMCTL_ROOT` if set and non-empty, else
    /// of `/dev` (`/dev/vmmctl`), close-on-exec.
    pub fn open() -> io::Result<Vmmctl> {
        Self::open_with(None, OpenFlags::empty())
    }

    /// Opens `<root>/vmmctl`, close-on-exec.  `root` is a `/dev`-like
    /// directory: `/dev`, a simulator's root, or `<sim root>/jails/<name>`
    /// to act from inside that jail.
    pub fn open_at(root: impl AsRef<Path>) -> io::Result<Vmmctl> {
        Self::open_with(Some(root.as_ref()), OpenFlags::empty())
    }

    /// Opens `<root>/vmmctl` (`None`: as [`Vmmctl::open`]) with `flags`.
    ///
    /// Errors: `NotFound` (no `<root>/vmmctl`), `ENODEV` (not a control
    /// device), `PermissionDenied` (no write access), `ConnectionRefused`
    /// (no simulator listening), `EPROTO`, `ENAMETOOLONG`, `InvalidInput`
    /// (unknown flag bits, NUL in `root`), `EMFILE`, ….
    pub fn open_with(root: Option<&Path>, flags: OpenFlags) -> io::Result<Vmmctl> {
        let root = root.map(|r| cstring(r.as_os_str())).transpose()?;
        let mut out: *mut sys::vmmctl_t = ptr::null_mut();
        // SAFETY: root is NULL or a NUL-terminated string outliving the
        // call; out is a valid place for the result.
        check(unsafe {
            sys::vmmctl_open(
                root.as_ref().map_or(ptr::null(), |r| r.as_ptr()),
                flags.bits(),
                &mut out,
            )
        })?;
        Ok(Self::from_handle(out))
    }

    /// Adopts an open control descriptor: one inherited across `exec`
    /// (e.g. announced in `VMMCTL_FD`), received over `SCM_RIGHTS`, or
    /// returned by [`Vmmctl::try_clone_fd`].  On error `fd` is closed.
    ///
    /// Errors: `EBADF`, `ENODEV` (not a control descriptor), `ENOMEM`.
    pub fn from_fd(fd: OwnedFd) -> io::Result<Vmmctl> {
        let raw = fd.into_raw_fd();
        let mut out: *mut sys::vmmctl_t = ptr::null_mut();
        // SAFETY: out is a valid place for the result; raw is an open
        // descriptor we own, which the library adopts only on success.
        let rc = unsafe { sys::vmmctl_from_fd(raw, &mut out) };
        if rc != 0 {
            // SAFETY: on failure the library leaves raw open and untouched,
            // and we still own it: close it by dropping it.
            drop(unsafe { OwnedFd::from_raw_fd(raw) });
            return Err(io::Error::from_raw_os_error(rc));
        }
        Ok(Self::from_handle(out))
    }

    fn from_handle(out: *mut sys::vmmctl_t) -> Vmmctl {
        Vmmctl {
            handle: NonNull::new(out).expect("libvmmctl returned success and a NULL handle"),
        }
    }

    /// Creates the VM `name`: descriptor-scoped with
    /// [`CreateFlags::empty()`], persistent with [`CreateFlags::PERSISTENT`].
    ///
    /// Errors: `InvalidInput` (bad name, unknown flag bits), `ENAMETOOLONG`,
    /// `AlreadyExists` (the name is taken, by anyone, anywhere),
    /// `PermissionDenied` (persistent VM without privilege), `ENOMEM`
    /// (per-user VM limit reached), `EIO`/`EPIPE`/`ECONNRESET` (the
    /// simulator went away).
    pub fn create(&self, name: impl AsRef<OsStr>, flags: CreateFlags) -> io::Result<()> {
        let name = cstring(name.as_ref())?;
        // SAFETY: a live handle and a NUL-terminated string outliving the
        // call.
        check(unsafe { sys::vmmctl_create(self.handle.as_ptr(), name.as_ptr(), flags.bits()) })
    }

    /// Creates the VM `name` like [`Vmmctl::create`] and returns a guard that
    /// destroys it when dropped (persistent or not).
    pub fn create_guarded(
        &self,
        name: impl AsRef<OsStr>,
        flags: CreateFlags,
    ) -> io::Result<VmGuard<'_>> {
        let name = cstring(name.as_ref())?;
        // SAFETY: as in create().
        check(unsafe { sys::vmmctl_create(self.handle.as_ptr(), name.as_ptr(), flags.bits()) })?;
        Ok(VmGuard {
            ctl: self,
            name: Some(name),
        })
    }

    /// Destroys the VM `name`, whichever descriptor owns it.
    ///
    /// Errors: `InvalidInput` (bad name), `ENAMETOOLONG`, `NotFound` (no
    /// such VM visible, or already being destroyed), `PermissionDenied`
    /// (another user's VM, without privilege), `EIO`/`EPIPE`/`ECONNRESET`.
    pub fn destroy(&self, name: impl AsRef<OsStr>) -> io::Result<()> {
        let name = cstring(name.as_ref())?;
        self.destroy_c(&name)
    }

    fn destroy_c(&self, name: &CStr) -> io::Result<()> {
        // SAFETY: a live handle and a NUL-terminated string outliving the
        // call.
        check(unsafe { sys::vmmctl_destroy(self.handle.as_ptr(), name.as_ptr()) })
    }

    /// The names of the VMs visible through this descriptor, in no
    /// particular order.  A name that is not UTF-8 is `InvalidData`; see
    /// [`Vmmctl::list_os`].
    pub fn list(&self) -> io::Result<Vec<String>> {
        self.list_os()?
            .into_iter()
            .map(|n| {
                n.into_string().map_err(|n| {
                    io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!("VM name {n:?} is not UTF-8"),
                    )
                })
            })
            .collect()
    }

    /// The names of the VMs visible through this descriptor, as raw byte
    /// strings, in no particular order.
    ///
    /// A missing `<root>/vmm` is an empty list (FreeBSD's devfs has
    /// `/dev/vmm` only while some VM exists).
    ///
    /// Errors: `PermissionDenied`, `ENOTDIR`, `ENOMEM`, `EMFILE`.
    pub fn list_os(&self) -> io::Result<Vec<OsString>> {
        let mut buf = vec![0u8; 1024];
        loop {
            let mut len = 0usize;
            // SAFETY: a live handle; buf is valid for buf.len() bytes of
            // writes; len is a valid place for the result.
            let rc = unsafe {
                sys::vmmctl_list(
                    self.handle.as_ptr(),
                    buf.as_mut_ptr().cast::<c_char>(),
                    buf.len(),
                    &mut len,
                )
            };
            match rc {
                0 => {
                    buf.truncate(len);
                    break;
                }
                // Too small: len is what is needed now; the set may grow
                // before the next call, so loop.
                errno::ERANGE => {
                    let want = len.max(buf.len() * 2);
                    buf.resize(want, 0);
                }
                e => return Err(io::Error::from_raw_os_error(e)),
            }
        }
        Ok(buf
            .split(|&b| b == 0)
            .filter(|n| !n.is_empty())
            .map(|n| OsString::from_vec(n.to_vec()))
            .collect())
    }

    /// Opens the VM's device node `<root>/vmm/<name>` read-write,
    /// close-on-exec; the descriptor belongs to the caller.  It does not
    /// keep the VM alive.
    ///
    /// Errors: `InvalidInput`, `ENAMETOOLONG`, `NotFound` (no such VM
    /// visible), `PermissionDenied` (another user's VM), `EMFILE`.
    pub fn vm_open(&self, name: impl AsRef<OsStr>) -> io::Result<OwnedFd> {
        let name = cstring(name.as_ref())?;
        let mut fd: i32 = -1;
        // SAFETY: a live handle, a NUL-terminated string outliving the call
        // and a valid place for the result.
        check(unsafe { sys::vmmctl_vm_open(self.handle.as_ptr(), name.as_ptr(), &mut fd) })?;
        // SAFETY: on success fd is a new open descriptor owned by the
        // caller.
        Ok(unsafe { OwnedFd::from_raw_fd(fd) })
    }

    /// A new descriptor for the same open file description (`dup`,
    /// close-on-exec): it shares ownership of the VMs, which then live
    /// until both are closed.  Pass it to a child process or over a unix
    /// socket; [`Vmmctl::from_fd`] adopts it.
    ///
    /// With the simulator, all copies share one stream to it: handles (in
    /// this or another process) built on copies of one descriptor must not
    /// issue requests at the same instant, or a reply may reach the wrong
    /// one.  Threads sharing a single [`Vmmctl`] are always safe.  The
    /// kernel's character device has no such limit.
    pub fn try_clone_fd(&self) -> io::Result<OwnedFd> {
        self.as_fd().try_clone_to_owned()
    }

    /// Turns the handle into its descriptor without releasing the VMs:
    /// duplicates the descriptor (close-on-exec), then closes the handle.
    /// Errors: `EMFILE`/`ENFILE` (the handle is then dropped as usual).
    pub fn into_owned_fd(self) -> io::Result<OwnedFd> {
        let fd = self.try_clone_fd()?;
        drop(self);
        Ok(fd)
    }

    /// Closes the descriptor and frees the handle, reporting a close error
    /// (`EIO`; the descriptor is closed anyway).  Dropping does the same
    /// and ignores the error.
    pub fn close(self) -> io::Result<()> {
        let h = self.handle.as_ptr();
        std::mem::forget(self);
        // SAFETY: h is live and no longer reachable through `self`.
        check(unsafe { sys::vmmctl_close(h) })
    }

    /// The raw libvmmctl handle, for calling [`sys`] functions directly
    /// (e.g. `vmmctl_ioctl` with the structures of [`sys::kernel_abi`]).  It
    /// stays valid while `self` lives; don't close it.
    pub fn as_raw(&self) -> *mut sys::vmmctl_t {
        self.handle.as_ptr()
    }

    /// [`check_name`], for convenience.
    pub fn check_name(name: impl AsRef<OsStr>) -> io::Result<()> {
        check_name(name)
    }

    /// [`library_version`], for convenience.
    pub fn library_version() -> Version {
        library_version()
    }
}

impl Drop for Vmmctl {
    fn drop(&mut self) {
        // SAFETY: the handle is live and dropped only once.  The only
        // possible error, EIO, still closes the descriptor.
        unsafe { sys::vmmctl_close(self.handle.as_ptr()) };
    }
}

impl AsFd for Vmmctl {
    fn as_fd(&self) -> BorrowedFd<'_> {
        // SAFETY: the handle owns an open descriptor until it is closed,
        // which needs `self` by value, so it outlives the borrow.
        unsafe { BorrowedFd::borrow_raw(sys::vmmctl_fd(self.handle.as_ptr())) }
    }
}

impl AsRawFd for Vmmctl {
    fn as_raw_fd(&self) -> RawFd {
        self.as_fd().as_raw_fd()
    }
}

/// Takes the descriptor out of the handle without releasing its VMs, as
/// [`Vmmctl::into_owned_fd`] (the C library cannot hand its descriptor over,
/// so it is duplicated and the handle closed; the new descriptor is
/// close-on-exec).
///
/// # Panics
///
/// If the descriptor cannot be duplicated (`EMFILE`/`ENFILE`); use
/// [`Vmmctl::into_owned_fd`] to handle that.
impl From<Vmmctl> for OwnedFd {
    fn from(ctl: Vmmctl) -> OwnedFd {
        ctl.into_owned_fd()
            .expect("vmmctl: cannot duplicate the control descriptor")
    }
}

impl fmt::Debug for Vmmctl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Vmmctl")
            .field("fd", &self.as_raw_fd())
            .finish()
    }
}

/// A VM that is destroyed when the guard is dropped, from
/// [`Vmmctl::create_guarded`].  It borrows the [`Vmmctl`], so it cannot
/// outlive the descriptor (a scoped VM would be gone by then anyway).
#[must_use = "dropping the guard destroys the VM at once"]
pub struct VmGuard<'a> {
    ctl: &'a Vmmctl,
    name: Option<CString>,
}

impl VmGuard<'_> {
    /// The VM's name.
    pub fn name(&self) -> &OsStr {
        OsStr::from_bytes(self.cname().to_bytes())
    }

    fn cname(&self) -> &CStr {
        self.name.as_deref().expect("VmGuard without a name")
    }

    /// Opens the VM's device node, as [`Vmmctl::vm_open`].
    pub fn vm_open(&self) -> io::Result<OwnedFd> {
        self.ctl.vm_open(self.name())
    }

    /// Destroys the VM now, reporting errors (dropping ignores them).
    pub fn destroy(mut self) -> io::Result<()> {
        let name = self.name.take().expect("VmGuard without a name");
        self.ctl.destroy_c(&name)
    }

    /// Disarms the guard: the VM lives on as created (a scoped VM until the
    /// descriptor goes, a persistent one until destroyed); returns its name.
    pub fn release(mut self) -> OsString {
        let name = self.name.take().expect("VmGuard without a name");
        OsString::from_vec(name.into_bytes())
    }
}

impl Drop for VmGuard<'_> {
    fn drop(&mut self) {
        if let Some(name) = self.name.take() {
            let _ = self.ctl.destroy_c(&name);
        }
    }
}

impl fmt::Debug for VmGuard<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VmGuard")
            .field("name", &self.name)
            .field("ctl", self.ctl)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::ErrorKind;

    #[test]
    fn create_flags() {
        assert!(CreateFlags::empty().is_empty());
        assert_eq!(CreateFlags::default(), CreateFlags::empty());
        assert_eq!(
            CreateFlags::PERSISTENT.bits(),
            sys::VMMCTL_CREATE_PERSISTENT
        );
        assert_eq!(CreateFlags::all(), CreateFlags::PERSISTENT);
        assert!(CreateFlags::all().contains(CreateFlags::PERSISTENT));
        assert_eq!(CreateFlags::from_bits(1), Some(CreateFlags::PERSISTENT));
        assert_eq!(CreateFlags::from_bits(2), None);
        assert_eq!(CreateFlags::from_bits_retain(3).bits(), 3);
        let mut f = CreateFlags::empty();
        f |= CreateFlags::PERSISTENT;
        assert_eq!(f | CreateFlags::empty(), CreateFlags::PERSISTENT);
        assert_eq!(format!("{:?}", CreateFlags::empty()), "CreateFlags(empty)");
        assert_eq!(
            format!("{:?}", CreateFlags::PERSISTENT),
            "CreateFlags(PERSISTENT)"
        );
        assert_eq!(
            format!("{:?}", CreateFlags::from_bits_retain(5)),
            "CreateFlags(PERSISTENT | 0x4)"
        );
    }

    #[test]
    fn open_flags() {
        assert_eq!(OpenFlags::INHERIT.bits(), sys::VMMCTL_OPEN_INHERIT);
        assert_eq!(OpenFlags::from_bits(0), Some(OpenFlags::empty()));
        assert_eq!(format!("{:?}", OpenFlags::INHERIT), "OpenFlags(INHERIT)");
    }

    #[test]
    fn version() {
        let v = library_version();
        assert_eq!(
            v,
            Version::HEADER,
            "library {v}, header {}",
            Version::HEADER
        );
        assert_eq!(Version::from_raw(0x010203).to_string(), "1.2.3");
        assert_eq!(Version::from_raw(0x010203).to_raw(), 0x010203);
        assert_eq!(Vmmctl::library_version(), v);
    }

    #[test]
    fn check_name_errors() {
        assert!(check_name("vm0").is_ok());
        assert!(Vmmctl::check_name("a".repeat(NAME_MAX)).is_ok());
        for bad in ["", ".", "..", "a/b", "/"] {
            let e = check_name(bad).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidInput, "{bad:?}");
            assert_eq!(e.raw_os_error(), Some(errno::EINVAL), "{bad:?}");
        }
        let e = check_name("a".repeat(NAME_MAX + 1)).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidFilename);
        let e = check_name("a\0b").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput);
    }

    #[test]
    fn strerror_messages() {
        assert!(!strerror(errno::EINVAL).is_empty());
        assert!(!strerror(123_456).is_empty());
    }

    #[test]
    fn thread_traits() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Vmmctl>();
    }
}

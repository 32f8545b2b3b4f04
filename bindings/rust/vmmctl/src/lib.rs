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
//! runs for tests (in the test process: this crate carries it).  Errors are
//! [`std::io::Error`]s carrying the raw `errno`, so
//! [`ErrorKind`](std::io::ErrorKind) comes out right: `AlreadyExists`
//! (`EEXIST`), `NotFound` (`ENOENT`), `PermissionDenied` (`EPERM`),
//! `InvalidInput` (`EINVAL`), `Unsupported` (`EOPNOTSUPP`), …
//!
//! # Example
//!
//! ```
//! use std::io::ErrorKind;
//! use vmmctl::{CreateFlags, Vmmctl};
//!
//! # fn main() -> std::io::Result<()> {
//! // A private simulator under a fresh temporary root, served by a thread
//! // of this process (nothing to install); on a FreeBSD host with bhyve,
//! // Vmmctl::open() uses /dev/vmmctl instead.
//! let sim = vmmctl::sim::Simulator::start()?;
//!
//! let ctl = Vmmctl::open_at(sim.root())?;
//! ctl.create("doc-scoped", CreateFlags::empty())?;
//! ctl.create("doc-persistent", CreateFlags::PERSISTENT)?;
//! assert_eq!(ctl.list()?, ["doc-persistent", "doc-scoped"]); // sorted
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
//! - [`Vmmctl::vm_open`] returns the VM's device node as an [`OwnedFd`](std::os::fd::OwnedFd)
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

use std::ffi::{CStr, CString, OsStr};
use std::io;
use std::os::unix::ffi::OsStrExt;

mod ctl;
mod flags;
mod guard;
pub mod sim;
mod version;

pub use ctl::Vmmctl;
pub use flags::{CreateFlags, OpenFlags};
pub use guard::VmGuard;
pub use version::{library_version, Version};

/// The README's example, compiled and run as a doctest.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;

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

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::ErrorKind;

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
}

//! The control handle: [`Vmmctl`], one open `/dev/vmmctl` descriptor.

use std::ffi::{c_char, CStr, OsStr, OsString};
use std::fmt;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, IntoRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStringExt;
use std::path::Path;
use std::ptr::{self, NonNull};

use crate::{check, cstring, errno, sys, CreateFlags, OpenFlags, Version, VmGuard};

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
        self.create_c(&name, flags)
    }

    fn create_c(&self, name: &CStr, flags: CreateFlags) -> io::Result<()> {
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
        self.create_c(&name, flags)?;
        Ok(VmGuard::new(self, name))
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

    pub(crate) fn destroy_c(&self, name: &CStr) -> io::Result<()> {
        // SAFETY: a live handle and a NUL-terminated string outliving the
        // call.
        check(unsafe { sys::vmmctl_destroy(self.handle.as_ptr(), name.as_ptr()) })
    }

    /// The names of the VMs visible through this descriptor, sorted (by
    /// bytes, as `vmmctl list` and the Python and Go bindings sort them).
    /// A name that is not UTF-8 is `InvalidData`; see [`Vmmctl::list_os`].
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
    /// strings, sorted by bytes.  (`vmmctl_list()` returns them in
    /// directory order, which means no particular order: this sorts.)
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
        let mut names: Vec<OsString> = buf
            .split(|&b| b == 0)
            .filter(|n| !n.is_empty())
            .map(|n| OsString::from_vec(n.to_vec()))
            .collect();
        // OsString orders by bytes on Unix.
        names.sort_unstable();
        Ok(names)
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

    /// [`check_name`](crate::check_name), for convenience.
    pub fn check_name(name: impl AsRef<OsStr>) -> io::Result<()> {
        crate::check_name(name)
    }

    /// [`library_version`](crate::library_version), for convenience.
    pub fn library_version() -> Version {
        crate::library_version()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thread_traits() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Vmmctl>();
    }
}

//! [`VmGuard`]: a VM destroyed when its guard goes.

use std::ffi::{CStr, CString, OsStr, OsString};
use std::fmt;
use std::io;
use std::os::fd::OwnedFd;
use std::os::unix::ffi::{OsStrExt, OsStringExt};

use crate::Vmmctl;

/// A VM that is destroyed when the guard is dropped, from
/// [`Vmmctl::create_guarded`].  It borrows the [`Vmmctl`], so it cannot
/// outlive the descriptor (a scoped VM would be gone by then anyway).
#[must_use = "dropping the guard destroys the VM at once"]
pub struct VmGuard<'a> {
    ctl: &'a Vmmctl,
    name: Option<CString>,
}

impl<'a> VmGuard<'a> {
    pub(crate) fn new(ctl: &'a Vmmctl, name: CString) -> Self {
        VmGuard {
            ctl,
            name: Some(name),
        }
    }

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

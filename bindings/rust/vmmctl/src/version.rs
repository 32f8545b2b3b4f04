//! The library's version: [`Version`] and [`library_version`].

use std::fmt;

use crate::sys;

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Vmmctl;

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
}

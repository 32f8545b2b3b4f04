//! The flag sets of the C API as small `Copy` types: [`CreateFlags`] and
//! [`OpenFlags`] (a `bitflags`-like API without the dependency).

use std::fmt;

use crate::sys;

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
    /// Flags of [`Vmmctl::create`](crate::Vmmctl::create).  [`CreateFlags::empty()`] makes a
    /// descriptor-scoped VM (the kernel's `VMMCTL_CREATE_DESTROY_ON_CLOSE`).
    CreateFlags {
        /// The VM outlives the descriptor (`VMMCTL_CREATE_PERSISTENT`);
        /// privileged: unprivileged callers get `PermissionDenied`.
        const PERSISTENT = sys::VMMCTL_CREATE_PERSISTENT;
    }
}

flags_type! {
    /// Flags of [`Vmmctl::open_with`](crate::Vmmctl::open_with).
    OpenFlags {
        /// Don't set close-on-exec (`VMMCTL_OPEN_INHERIT`): child processes
        /// inherit the descriptor and, with it, a share in its VMs.
        const INHERIT = sys::VMMCTL_OPEN_INHERIT;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}

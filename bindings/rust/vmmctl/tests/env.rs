//! Vmmctl::open() finds the control device through $VMMCTL_ROOT.  Its own
//! binary with a single test, since it changes the environment.

mod common;

use vmmctl::{CreateFlags, Vmmctl};

#[test]
fn open_uses_vmmctl_root() {
    let sim = common::sim();
    std::env::set_var("VMMCTL_ROOT", sim.root());
    let ctl = Vmmctl::open().unwrap();
    ctl.create("via-env", CreateFlags::empty()).unwrap();
    let other = sim.open().unwrap();
    assert_eq!(other.list().unwrap(), ["via-env"]);
    // Empty means /dev: not the simulator (no /dev/vmmctl on Linux).
    std::env::set_var("VMMCTL_ROOT", "");
    match Vmmctl::open() {
        Ok(dev) => assert!(dev
            .list()
            .unwrap_or_default()
            .iter()
            .all(|n| n != "via-env")),
        Err(e) => assert!(e.raw_os_error().is_some(), "{e}"),
    }
    std::env::set_var("VMMCTL_ROOT", sim.root().join("missing"));
    let e = Vmmctl::open().unwrap_err();
    assert_eq!(e.kind(), std::io::ErrorKind::NotFound, "{e}");
}

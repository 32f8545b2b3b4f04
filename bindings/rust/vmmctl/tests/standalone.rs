//! The default simulator needs nothing from the environment: no
//! `vmmctl-sim` on PATH, no VMMCTL_* variable.  Its own binary, since it
//! changes the environment.

use std::io::ErrorKind;

use vmmctl::sim::Simulator;
use vmmctl::{CreateFlags, Vmmctl};

#[test]
fn in_process_by_default_with_nothing_installed() {
    // No vmmctl-sim to find and no variable to follow: the host is the C
    // compiled into this test binary.
    let vars: Vec<_> = std::env::vars_os().map(|(k, _)| k).collect();
    for k in vars {
        if k.to_string_lossy().starts_with("VMMCTL_") {
            std::env::remove_var(&k);
        }
    }
    assert!(std::env::vars_os().all(|(k, _)| !k.to_string_lossy().starts_with("VMMCTL_")));
    std::env::set_var("PATH", "/nonexistent");
    let sim = Simulator::builder().jail("j1").start().unwrap();
    assert_eq!(sim.pid(), None);
    // Ready on return: no retry needed.
    let host = sim.open().unwrap();
    let j1 = Vmmctl::open_at(sim.jail_root("j1")).unwrap();
    j1.create("in-j1", CreateFlags::empty()).unwrap();
    host.create("kept", CreateFlags::PERSISTENT).unwrap();
    assert_eq!(host.list().unwrap(), ["in-j1", "kept"]);
    assert_eq!(j1.list().unwrap(), ["in-j1"]);
    let e = j1.create("kept", CreateFlags::empty()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::AlreadyExists);
    drop(j1);
    assert_eq!(host.list().unwrap(), ["kept"]);
}

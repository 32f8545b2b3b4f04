//! Refusals for unprivileged callers: a persistent create is EPERM, another
//! user's VM cannot be destroyed (EPERM) or opened (EACCES).  The simulator
//! counts its starter as privileged, so this needs root: the test re-runs
//! itself as uid/gid 65534 against the simulator root started here (mode
//! 0755).  Not root: skipped.

mod common;

use std::io::ErrorKind;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::process::Command;

use vmmctl::{CreateFlags, Vmmctl};

const CHILD_ROOT: &str = "VMMCTL_TEST_UNPRIV_ROOT";
const NOBODY: u32 = 65534;

/// As uid 65534.
fn child(root: &str) {
    assert_eq!(common::uid(), NOBODY);
    let ctl = Vmmctl::open_at(root).expect("open as an unprivileged user");
    let e = ctl
        .create("nobody-persistent", CreateFlags::PERSISTENT)
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::PermissionDenied, "{e}");
    assert_eq!(e.raw_os_error(), Some(1), "EPERM");
    // Scoped VMs are allowed.
    ctl.create("nobody-scoped", CreateFlags::empty()).unwrap();
    // root's VM: visible, but neither destroyable nor openable.
    assert!(ctl.list().unwrap().contains(&"root-vm".to_string()));
    let e = ctl.destroy("root-vm").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::PermissionDenied, "{e}");
    let e = ctl.vm_open("root-vm").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::PermissionDenied, "{e}");
    println!("child: refusals checked");
}

#[test]
fn unprivileged_refusals() {
    if let Ok(root) = std::env::var(CHILD_ROOT) {
        child(&root);
        return;
    }
    if common::uid() != 0 {
        println!("SKIPPED: needs root to run a child as uid {NOBODY}");
        return;
    }
    let sim = common::sim();
    std::fs::set_permissions(sim.root(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let ctl = sim.open().unwrap();
    ctl.create("root-vm", CreateFlags::PERSISTENT).unwrap();

    let exe = std::env::current_exe().unwrap();
    let out = Command::new(&exe)
        .args(["--exact", "unprivileged_refusals", "--nocapture"])
        .env(CHILD_ROOT, sim.root())
        .uid(NOBODY)
        .gid(NOBODY)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    if !out.status.success() && text.contains("Permission denied") && !text.contains("child:") {
        // The test binary itself is not reachable by uid 65534 (e.g. under
        // a 0700 home directory): the refusals cannot be checked.
        println!(
            "SKIPPED: {} is not executable by uid {NOBODY}",
            exe.display()
        );
        return;
    }
    assert!(out.status.success(), "child failed: {}\n{text}", out.status);
    assert!(text.contains("child: refusals checked"), "{text}");
    // The child's scoped VM went with it; root's stays.
    assert_eq!(ctl.list().unwrap(), ["root-vm"]);
    ctl.destroy("root-vm").unwrap();
}

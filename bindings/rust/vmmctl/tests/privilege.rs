//! Refusals for unprivileged callers: a persistent create is EPERM, another
//! user's VM cannot be destroyed (EPERM) or opened (EACCES).  The simulator
//! counts its starter as privileged, so this needs root: the test re-runs
//! itself as uid/gid 65534 against the simulator root started here (mode
//! 0755).  Not root: skipped.

mod common;

use std::io::ErrorKind;
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
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

/// A copy of this test binary that uid 65534 can execute: the build tree may
/// sit under a directory only root can traverse (a fresh clone under a 0700
/// temporary directory, /root).  The copy's 0755 directory under /tmp goes
/// on drop.
struct NobodyCopy {
    dir: PathBuf,
    path: PathBuf,
}

impl NobodyCopy {
    fn of_current_exe() -> Self {
        let exe = std::env::current_exe().unwrap();
        let dir = PathBuf::from(format!("/tmp/vmr-exe.{}", std::process::id()));
        std::fs::DirBuilder::new().mode(0o755).create(&dir).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        let path = dir.join(exe.file_name().unwrap());
        std::fs::copy(&exe, &path).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        NobodyCopy { dir, path }
    }
}

impl Drop for NobodyCopy {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
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
    // The endpoint is 0660 in the vmm group, as /dev/vmmctl: let uid 65534
    // in, as an administrator adding it to the group would.
    std::fs::set_permissions(
        sim.root().join("vmmctl"),
        std::fs::Permissions::from_mode(0o666),
    )
    .unwrap();
    let ctl = sim.open().unwrap();
    ctl.create("root-vm", CreateFlags::PERSISTENT).unwrap();

    let exe = NobodyCopy::of_current_exe();
    let out = Command::new(&exe.path)
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
    assert!(out.status.success(), "child failed: {}\n{text}", out.status);
    assert!(text.contains("child: refusals checked"), "{text}");
    // The child's scoped VM went with it; root's stays.
    assert_eq!(ctl.list().unwrap(), ["root-vm"]);
    ctl.destroy("root-vm").unwrap();
}

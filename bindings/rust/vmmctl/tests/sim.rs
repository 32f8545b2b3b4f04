//! vmmctl::sim::Simulator's in-process host: options, generations, errors,
//! clean-up, and that it needs nothing from the environment.

mod common;

use std::io::ErrorKind;
use std::path::PathBuf;

use vmmctl::sim::Simulator;
use vmmctl::CreateFlags;

/// The tests of this file one at a time: failed_start_leaves_nothing
/// counts this process's simulator roots.
fn serial() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

/// The simulator roots of this process that exist now (`/tmp/vmr.<pid>.*`).
fn my_roots() -> Vec<PathBuf> {
    let prefix = format!("vmr.{}.", std::process::id());
    let mut v: Vec<PathBuf> = std::fs::read_dir("/tmp")
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with(&prefix))
        .map(|e| e.path())
        .collect();
    v.sort();
    v
}

#[test]
fn several_simulators_in_one_process() {
    let _serial = serial();
    let a = Simulator::start().unwrap();
    let b = Simulator::start().unwrap();
    assert_ne!(a.root(), b.root());
    a.open()
        .unwrap()
        .create("same", CreateFlags::PERSISTENT)
        .unwrap();
    b.open()
        .unwrap()
        .create("same", CreateFlags::PERSISTENT)
        .unwrap();
    assert_eq!(a.open().unwrap().list().unwrap(), ["same"]);
    drop(a);
    assert_eq!(b.open().unwrap().list().unwrap(), ["same"]);
}

#[test]
fn drop_and_stop_remove_the_root_and_every_vm() {
    let _serial = serial();
    let sim = Simulator::start().unwrap();
    let root = sim.root().to_path_buf();
    let ctl = sim.open().unwrap();
    ctl.create("p", CreateFlags::PERSISTENT).unwrap();
    assert!(root.join("vmm/p").exists());
    drop(sim);
    assert!(!root.exists());
    // The handle outlives the simulator: errors, no crash.
    let e = ctl.create("after", CreateFlags::empty()).unwrap_err();
    assert!(e.raw_os_error().is_some(), "{e}");

    let sim = Simulator::start().unwrap();
    let root = sim.root().to_path_buf();
    sim.stop().unwrap();
    assert!(!root.exists());
}

#[test]
fn failed_start_leaves_nothing() {
    let _serial = serial();
    let before = my_roots();
    for bad in ["", "/", "vmm", "a/vmmctl"] {
        let e = Simulator::builder().jail(bad).start().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "jail {bad:?}: {e}");
    }
    let e = Simulator::builder().jail("a\0b").start().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
    assert_eq!(my_roots(), before);
}

#[test]
fn uid_limit_zero_is_unlimited() {
    let _serial = serial();
    let sim = Simulator::builder().uid_limit(0).start().unwrap();
    let ctl = sim.open().unwrap();
    for i in 0..64 {
        ctl.create(format!("u{i}"), CreateFlags::empty()).unwrap();
    }
    assert_eq!(ctl.list().unwrap().len(), 64);
}

#[test]
fn generations() {
    let _serial = serial();
    // 3 (today's kernel) and 0 (the newest) are modelled.
    for g in [0, 3] {
        let sim = Simulator::builder().generation(g).start().unwrap();
        let ctl = sim.open().unwrap();
        ctl.create("g", CreateFlags::empty()).unwrap();
        assert_eq!(ctl.list().unwrap(), ["g"], "generation {g}");
    }
    // No such generation.
    for g in [4, 99, u32::MAX] {
        let e = Simulator::builder().generation(g).start().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "generation {g}: {e}");
    }
    // Generation 2 (FreeBSD 15 with flags): scoped VMs exist.
    let sim = Simulator::builder().generation(2).start().unwrap();
    let ctl = sim.open().unwrap();
    ctl.create("g2-scoped", CreateFlags::empty()).unwrap();
    ctl.create("g2-kept", CreateFlags::PERSISTENT).unwrap();
    drop(ctl);
    assert_eq!(sim.open().unwrap().list().unwrap(), ["g2-kept"]);
    // Generation 1 (15.0-RELEASE's first /dev/vmmctl): every VM is
    // persistent; a scoped create is refused before any side effect, as
    // not supported (EOPNOTSUPP) or, from a library that does not know
    // generations, as the kernel's EINVAL.
    let sim = Simulator::builder().generation(1).start().unwrap();
    let ctl = sim.open().unwrap();
    let e = ctl.create("g1-scoped", CreateFlags::empty()).unwrap_err();
    assert!(
        matches!(e.kind(), ErrorKind::Unsupported | ErrorKind::InvalidInput),
        "{e}"
    );
    ctl.create("g1-kept", CreateFlags::PERSISTENT).unwrap();
    assert_eq!(ctl.list().unwrap(), ["g1-kept"]);
}

#[test]
fn eopnotsupp_is_unsupported() {
    // What libvmmctl returns for a request an older kernel generation does
    // not have: std maps it (and ENOTSUP, the same value here) itself.
    #[cfg(target_os = "linux")]
    const EOPNOTSUPP: i32 = 95;
    #[cfg(any(target_os = "freebsd", target_os = "dragonfly"))]
    const EOPNOTSUPP: i32 = 45;
    #[cfg(target_os = "macos")]
    const EOPNOTSUPP: i32 = 102;
    let e = std::io::Error::from_raw_os_error(EOPNOTSUPP);
    assert_eq!(e.kind(), ErrorKind::Unsupported, "{e}");
}

#[test]
fn simulator_is_send_and_sync() {
    let _serial = serial();
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Simulator>();
    let sim = Simulator::start().unwrap();
    let root = sim.root().to_path_buf();
    // Dropped on another thread.
    std::thread::spawn(move || {
        sim.open()
            .unwrap()
            .create("t", CreateFlags::empty())
            .unwrap();
        drop(sim);
    })
    .join()
    .unwrap();
    assert!(!root.exists());
}

/// Device mode: the library talks to a FUSE file as it talks to FreeBSD's
/// character device.  Without the crate feature `fuse` the bundled
/// simulator has no FUSE support: Unsupported.
#[test]
fn fuse_device_mode() {
    let _serial = serial();
    let r = Simulator::builder().fuse(true).jail("j1").start();
    if !cfg!(feature = "fuse") {
        let e = r.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Unsupported, "{e}");
        return;
    }
    let sim = match r {
        Ok(sim) => sim,
        Err(e) if e.kind() == ErrorKind::PermissionDenied || e.kind() == ErrorKind::NotFound => {
            println!("SKIPPED: no usable /dev/fuse here: {e}");
            return;
        }
        Err(e) => panic!("device mode: {e}"),
    };
    let root = sim.root().to_path_buf();
    // A file, not a socket: the character-device path of the library.
    assert!(root.join("vmmctl").metadata().unwrap().is_file());
    let host = sim.open().unwrap();
    let j1 = vmmctl::Vmmctl::open_at(sim.jail_root("j1")).unwrap();
    j1.create("dev-scoped", CreateFlags::empty()).unwrap();
    host.create("dev-kept", CreateFlags::PERSISTENT).unwrap();
    assert_eq!(host.list().unwrap(), ["dev-kept", "dev-scoped"]);
    let e = host.create("dev-scoped", CreateFlags::empty()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::AlreadyExists);
    // The kernel's release of the open file description destroys it.
    drop(j1);
    assert_eq!(host.list().unwrap(), ["dev-kept"]);
    drop(host);
    drop(sim);
    assert!(!root.exists());
}

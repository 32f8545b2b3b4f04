//! The safe API against a private vmmctl-sim per test: every function, every
//! error kind, descriptor scoping, descriptor passing, threads, jails.

mod common;

use std::collections::BTreeSet;
use std::ffi::OsStr;
use std::fs::File;
use std::io::ErrorKind;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::sync::Arc;

use common::sim;
use vmmctl::sim::Simulator;
use vmmctl::{CreateFlags, OpenFlags, Vmmctl, NAME_MAX};

const ENAMETOOLONG: i32 = if cfg!(target_os = "linux") { 36 } else { 63 };
const ENODEV: i32 = 19;
const ENOMEM: i32 = 12;

#[test]
fn create_list_destroy() {
    let sim = sim();
    let ctl = sim.open().unwrap();
    assert!(ctl.list().unwrap().is_empty());
    ctl.create("vm-a", CreateFlags::empty()).unwrap();
    ctl.create("vm-b", CreateFlags::PERSISTENT).unwrap();
    assert_eq!(ctl.list().unwrap(), ["vm-a", "vm-b"]);
    assert_eq!(ctl.list_os().unwrap().len(), 2);
    // The simulator publishes device nodes under <root>/vmm.
    assert!(sim.root().join("vmm/vm-a").exists());
    ctl.destroy("vm-a").unwrap();
    ctl.destroy(String::from("vm-b")).unwrap();
    assert!(ctl.list().unwrap().is_empty());
    assert!(!sim.root().join("vmm/vm-a").exists());
}

#[test]
fn create_existing_is_already_exists() {
    let sim = sim();
    let a = sim.open().unwrap();
    let b = sim.open().unwrap();
    a.create("taken", CreateFlags::empty()).unwrap();
    for (ctl, flags) in [(&a, CreateFlags::empty()), (&b, CreateFlags::PERSISTENT)] {
        let e = ctl.create("taken", flags).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::AlreadyExists, "{e}");
        assert_eq!(e.raw_os_error(), Some(17));
    }
}

#[test]
fn destroy_missing_is_not_found() {
    let sim = sim();
    let ctl = sim.open().unwrap();
    let e = ctl.destroy("nothing-here").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
    ctl.create("once", CreateFlags::empty()).unwrap();
    ctl.destroy("once").unwrap();
    assert_eq!(ctl.destroy("once").unwrap_err().kind(), ErrorKind::NotFound);
}

#[test]
fn invalid_names_are_invalid_input() {
    let sim = sim();
    let ctl = sim.open().unwrap();
    for bad in ["", ".", "..", "a/b", "/", "a\0b"] {
        let e = ctl.create(bad, CreateFlags::empty()).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "create {bad:?}: {e}");
        let e = ctl.destroy(bad).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "destroy {bad:?}: {e}");
        let e = ctl.vm_open(bad).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "vm_open {bad:?}: {e}");
        assert_eq!(
            vmmctl::check_name(bad).unwrap_err().kind(),
            ErrorKind::InvalidInput
        );
    }
    assert!(ctl.list().unwrap().is_empty());
}

#[test]
fn long_names() {
    let sim = sim();
    let ctl = sim.open().unwrap();
    let longest = "x".repeat(NAME_MAX);
    let too_long = "y".repeat(NAME_MAX + 1); // 230 bytes: no room for the NUL
    vmmctl::check_name(&longest).unwrap();
    ctl.create(&longest, CreateFlags::empty()).unwrap();
    assert_eq!(ctl.list().unwrap(), std::slice::from_ref(&longest));
    ctl.destroy(&longest).unwrap();
    // Checked before any request: ENAMETOOLONG, not ENOENT, on destroy.
    for e in [
        ctl.create(&too_long, CreateFlags::empty()).unwrap_err(),
        ctl.destroy(&too_long).unwrap_err(),
        ctl.vm_open(&too_long).unwrap_err(),
        vmmctl::check_name(&too_long).unwrap_err(),
    ] {
        assert_eq!(e.raw_os_error(), Some(ENAMETOOLONG), "{e}");
        assert_eq!(e.kind(), ErrorKind::InvalidFilename);
    }
    assert!(ctl.list().unwrap().is_empty());
}

#[test]
fn unknown_flags_are_invalid_input() {
    let sim = sim();
    let ctl = sim.open().unwrap();
    let e = ctl
        .create("flags", CreateFlags::from_bits_retain(0x2))
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
    assert!(ctl.list().unwrap().is_empty());
    let e = Vmmctl::open_with(Some(sim.root()), OpenFlags::from_bits_retain(0x80)).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
}

#[test]
fn open_errors() {
    let sim = sim();
    // No <root>/vmmctl.
    let e = Vmmctl::open_at(sim.root().join("vmm")).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
    let e = Vmmctl::open_at("/nonexistent/vmmctl-root").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
    // Interior NUL in the root: refused without calling the library.
    let e = Vmmctl::open_at("/tmp\0x").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
    // A root whose vmmctl is a regular file.
    let dir = sim.root().join("plain");
    std::fs::create_dir(&dir).unwrap();
    File::create(dir.join("vmmctl")).unwrap();
    let e = Vmmctl::open_at(&dir).unwrap_err();
    assert_eq!(e.raw_os_error(), Some(ENODEV), "{e}");
}

#[test]
fn drop_destroys_scoped_vms_only() {
    let sim = sim();
    let watcher = sim.open().unwrap();
    let ctl = sim.open().unwrap();
    ctl.create("scoped", CreateFlags::empty()).unwrap();
    ctl.create("persistent", CreateFlags::PERSISTENT).unwrap();
    assert_eq!(watcher.list().unwrap(), ["persistent", "scoped"]);
    drop(ctl);
    assert_eq!(watcher.list().unwrap(), ["persistent"]);
    assert!(!sim.root().join("vmm/scoped").exists());
    // Another descriptor may destroy the persistent VM.
    watcher.destroy("persistent").unwrap();
    assert!(watcher.list().unwrap().is_empty());
}

#[test]
fn close_reports_and_releases() {
    let sim = sim();
    let watcher = sim.open().unwrap();
    let ctl = sim.open().unwrap();
    ctl.create("closing", CreateFlags::empty()).unwrap();
    ctl.close().unwrap();
    assert!(watcher.list().unwrap().is_empty());
}

#[test]
fn a_scoped_vm_belongs_to_its_descriptor_only() {
    let sim = sim();
    let a = sim.open().unwrap();
    let b = sim.open().unwrap();
    a.create("of-a", CreateFlags::empty()).unwrap();
    b.create("of-b", CreateFlags::empty()).unwrap();
    drop(b);
    assert_eq!(a.list().unwrap(), ["of-a"]);
    // Any descriptor can destroy it (same user).
    let c = sim.open().unwrap();
    c.destroy("of-a").unwrap();
    assert!(a.list().unwrap().is_empty());
}

#[test]
fn from_fd_shares_the_descriptor() {
    let sim = sim();
    let watcher = sim.open().unwrap();
    let ctl = sim.open().unwrap();
    ctl.create("shared", CreateFlags::empty()).unwrap();
    let dup: OwnedFd = ctl.try_clone_fd().unwrap();
    let adopted = Vmmctl::from_fd(dup).unwrap();
    assert_ne!(adopted.as_raw_fd(), ctl.as_raw_fd());
    // Same open file description: dropping one keeps the VM.
    drop(ctl);
    assert_eq!(watcher.list().unwrap(), ["shared"]);
    // The adopted handle works for requests, and owns the VM too.
    adopted.create("shared-2", CreateFlags::empty()).unwrap();
    assert_eq!(adopted.list().unwrap(), ["shared", "shared-2"]);
    drop(adopted);
    assert!(watcher.list().unwrap().is_empty());
}

#[test]
fn from_fd_refuses_other_descriptors() {
    let file = File::open("/dev/null").unwrap();
    let e = Vmmctl::from_fd(OwnedFd::from(file)).unwrap_err();
    assert_eq!(e.raw_os_error(), Some(ENODEV), "{e}");
    let (s, _peer) = std::os::unix::net::UnixStream::pair().unwrap();
    // A socket that is not connected to a simulator: refused now or at the
    // first request, never accepted silently.
    match Vmmctl::from_fd(OwnedFd::from(s)) {
        Err(e) => assert!(e.raw_os_error().is_some(), "{e}"),
        Ok(ctl) => {
            drop(_peer);
            assert!(ctl.list().is_err() || ctl.create("x", CreateFlags::empty()).is_err());
        }
    }
}

#[test]
fn into_owned_fd_keeps_the_vms() {
    let sim = sim();
    let watcher = sim.open().unwrap();
    let ctl = sim.open().unwrap();
    ctl.create("kept", CreateFlags::empty()).unwrap();
    let fd: OwnedFd = ctl.into();
    assert_eq!(watcher.list().unwrap(), ["kept"]);
    let back = Vmmctl::from_fd(fd).unwrap();
    let fd = back.into_owned_fd().unwrap();
    assert_eq!(watcher.list().unwrap(), ["kept"]);
    drop(fd);
    assert!(watcher.list().unwrap().is_empty());
}

#[test]
fn as_fd_and_as_raw_fd() {
    let sim = sim();
    let ctl = sim.open().unwrap();
    let raw = ctl.as_raw_fd();
    assert!(raw >= 0);
    assert_eq!(ctl.as_fd().as_raw_fd(), raw);
    assert!(format!("{ctl:?}").contains(&raw.to_string()));
    // A borrowed descriptor can be duplicated through AsFd.
    let dup = ctl.as_fd().try_clone_to_owned().unwrap();
    ctl.create("via-dup", CreateFlags::empty()).unwrap();
    drop(ctl);
    let ctl = Vmmctl::from_fd(dup).unwrap();
    assert_eq!(ctl.list().unwrap(), ["via-dup"]);
}

#[test]
fn vm_open_gives_the_device_node() {
    let sim = sim();
    let ctl = sim.open().unwrap();
    ctl.create("node", CreateFlags::empty()).unwrap();
    let fd = ctl.vm_open("node").unwrap();
    let meta = File::from(fd).metadata().unwrap();
    let want = std::fs::metadata(sim.root().join("vmm/node")).unwrap();
    use std::os::unix::fs::MetadataExt;
    assert_eq!((meta.dev(), meta.ino()), (want.dev(), want.ino()));
    assert_eq!(want.mode() & 0o777, 0o600);
    let e = ctl.vm_open("no-node").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
    // The node's descriptor does not keep the VM alive.
    let fd = ctl.vm_open("node").unwrap();
    ctl.destroy("node").unwrap();
    assert!(ctl.list().unwrap().is_empty());
    drop(fd);
}

#[test]
fn list_grows_its_buffer() {
    let sim = sim();
    let ctl = sim.open().unwrap();
    // 60 names of ~200 bytes: far more than the first 1 KiB buffer.
    let names: BTreeSet<String> = (0..60)
        .map(|i| format!("{i:03}-{}", "n".repeat(196)))
        .collect();
    for n in &names {
        ctl.create(n, CreateFlags::empty()).unwrap();
    }
    let listed: BTreeSet<String> = ctl.list().unwrap().into_iter().collect();
    assert_eq!(listed, names);
}

#[test]
fn list_is_sorted_by_bytes() {
    let sim = sim();
    let ctl = sim.open().unwrap();
    // 40 names created in a scrambled order (i * 17 mod 40), so that the
    // directory order is unlikely to be sorted by chance, and two that are
    // not UTF-8 (bytes above 0x7f sort after ASCII).
    let mut want: Vec<Vec<u8>> = (0..40u32)
        .map(|i| format!("vm-{:02}", (i * 17) % 40).into_bytes())
        .collect();
    want.push(b"\xffz".to_vec());
    want.push(b"\xc3(".to_vec());
    for n in &want {
        ctl.create(OsStr::from_bytes(n), CreateFlags::empty())
            .unwrap();
    }
    want.sort();
    let got: Vec<Vec<u8>> = ctl
        .list_os()
        .unwrap()
        .into_iter()
        .map(|n| n.into_vec())
        .collect();
    assert_eq!(got, want);
    for n in [b"\xffz".as_slice(), b"\xc3(".as_slice()] {
        ctl.destroy(OsStr::from_bytes(n)).unwrap();
    }
    let names = ctl.list().unwrap();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names.len(), 40);
    assert_eq!(names, sorted);
}

#[test]
fn uid_limit_is_out_of_memory() {
    let sim = Simulator::builder().uid_limit(2).start().unwrap();
    let ctl = sim.open().unwrap();
    ctl.create("l1", CreateFlags::empty()).unwrap();
    ctl.create("l2", CreateFlags::empty()).unwrap();
    let e = ctl.create("l3", CreateFlags::empty()).unwrap_err();
    assert_eq!(e.raw_os_error(), Some(ENOMEM), "{e}");
    assert_eq!(e.kind(), ErrorKind::OutOfMemory);
    ctl.destroy("l1").unwrap();
    ctl.create("l3", CreateFlags::empty()).unwrap();
}

#[test]
fn threads_share_one_handle() {
    let sim = sim();
    let ctl = sim.open().unwrap();
    std::thread::scope(|s| {
        for t in 0..8 {
            let ctl = &ctl;
            s.spawn(move || {
                for i in 0..25 {
                    let name = format!("t{t}-{i}");
                    ctl.create(&name, CreateFlags::empty()).unwrap();
                    assert!(ctl.list().unwrap().contains(&name));
                    if i % 2 == 0 {
                        ctl.destroy(&name).unwrap();
                    }
                }
            });
        }
    });
    assert_eq!(ctl.list().unwrap().len(), 8 * 12);
    // Send: move an Arc'd handle into threads, the last one drops it.
    let watcher = sim.open().unwrap();
    let shared = Arc::new(ctl);
    let handles: Vec<_> = (0..4)
        .map(|t| {
            let c = Arc::clone(&shared);
            std::thread::spawn(move || c.create(format!("arc-{t}"), CreateFlags::empty()))
        })
        .collect();
    drop(shared);
    for h in handles {
        h.join().unwrap().unwrap();
    }
    // Every Arc is gone: the descriptor closed, all its VMs with it.
    assert!(watcher.list().unwrap().is_empty());
}

#[test]
fn guard_destroys_on_drop() {
    let sim = sim();
    let ctl = sim.open().unwrap();
    {
        let g = ctl
            .create_guarded("guarded", CreateFlags::PERSISTENT)
            .unwrap();
        assert_eq!(g.name(), "guarded");
        assert!(format!("{g:?}").contains("guarded"));
        drop(g.vm_open().unwrap());
        assert_eq!(ctl.list().unwrap(), ["guarded"]);
    }
    assert!(ctl.list().unwrap().is_empty());
    let g = ctl
        .create_guarded("explicit", CreateFlags::empty())
        .unwrap();
    g.destroy().unwrap();
    assert!(ctl.list().unwrap().is_empty());
    let g = ctl
        .create_guarded("released", CreateFlags::PERSISTENT)
        .unwrap();
    assert_eq!(g.release(), "released");
    assert_eq!(ctl.list().unwrap(), ["released"]);
    let e = ctl
        .create_guarded("released", CreateFlags::empty())
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::AlreadyExists);
    // A guard whose VM went already: dropping it is harmless.
    let g = ctl.create_guarded("gone", CreateFlags::empty()).unwrap();
    ctl.destroy("gone").unwrap();
    assert_eq!(g.destroy().unwrap_err().kind(), ErrorKind::NotFound);
    ctl.destroy("released").unwrap();
}

#[test]
fn jails_see_their_own_and_their_children() {
    let sim = Simulator::builder()
        .jail("j1")
        .jail("j2")
        .jail("j1/inner")
        .start()
        .unwrap();
    let host = sim.open().unwrap();
    let j1 = Vmmctl::open_at(sim.jail_root("j1")).unwrap();
    let j2 = Vmmctl::open_at(sim.jail_root("j2")).unwrap();
    let inner = Vmmctl::open_at(sim.jail_root("j1/inner")).unwrap();
    host.create("on-host", CreateFlags::empty()).unwrap();
    j1.create("in-j1", CreateFlags::empty()).unwrap();
    inner.create("in-inner", CreateFlags::empty()).unwrap();
    assert_eq!(host.list().unwrap(), ["in-inner", "in-j1", "on-host"]);
    assert_eq!(j1.list().unwrap(), ["in-inner", "in-j1"]);
    assert_eq!(inner.list().unwrap(), ["in-inner"]);
    assert!(j2.list().unwrap().is_empty());
    // Names stay globally unique; invisible VMs cannot be destroyed.
    let e = j2.create("in-j1", CreateFlags::empty()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::AlreadyExists);
    assert_eq!(j2.destroy("in-j1").unwrap_err().kind(), ErrorKind::NotFound);
    assert_eq!(j2.vm_open("in-j1").unwrap_err().kind(), ErrorKind::NotFound);
    // The parent sees and may destroy its jail's VM.
    host.destroy("in-j1").unwrap();
    assert_eq!(j1.list().unwrap(), ["in-inner"]);
}

#[test]
fn simulator_gone_is_an_error_not_a_crash() {
    let sim = sim();
    let ctl = sim.open().unwrap();
    ctl.create("before", CreateFlags::empty()).unwrap();
    sim.stop().unwrap();
    let e = ctl.create("after", CreateFlags::empty()).unwrap_err();
    assert!(e.raw_os_error().is_some(), "{e}");
    // Dropping the handle afterwards is fine too.
    drop(ctl);
}

#[test]
fn library_messages() {
    assert_eq!(vmmctl::library_version(), vmmctl::Version::HEADER);
    let eperm = vmmctl::strerror(1);
    assert!(!eperm.is_empty());
    assert!(!vmmctl::strerror(17).is_empty());
}

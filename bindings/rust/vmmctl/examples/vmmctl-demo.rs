//! A short transcript of the vmmctl life cycle, run by bindings/rust/demo.sh:
//! create a scoped and a persistent VM, list, destroy, drop the descriptor
//! and see the scoped VM go.  Leaves no VM of its own behind.
//!
//! Usage: `vmmctl-demo [ROOT]` (default: `$VMMCTL_ROOT`, else `/dev`).
//! With `VMMCTL_FD` set to an inherited control descriptor, it adopts that
//! descriptor instead of opening one (as vmmctl(8) does).

use std::io::{self, ErrorKind};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::process::ExitCode;

use vmmctl::{CreateFlags, Vmmctl};

fn open(root: Option<&str>, adopt: bool) -> io::Result<Vmmctl> {
    let inherited = std::env::var("VMMCTL_FD").ok().filter(|s| !s.is_empty());
    if let Some(fd) = inherited.filter(|_| adopt) {
        let fd: i32 = fd
            .parse()
            .map_err(|_| io::Error::new(ErrorKind::InvalidInput, "VMMCTL_FD: not a number"))?;
        // SAFETY: whoever set VMMCTL_FD handed this process that open
        // descriptor for it to own; nothing else in this program uses it.
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        println!("adopting inherited control descriptor {}", fd.as_raw_fd());
        return Vmmctl::from_fd(fd);
    }
    match root {
        Some(r) => Vmmctl::open_at(r),
        None => Vmmctl::open(),
    }
}

fn ours(ctl: &Vmmctl, prefix: &str) -> io::Result<Vec<String>> {
    let mut v: Vec<String> = ctl
        .list()?
        .into_iter()
        .filter(|n| n.starts_with(prefix))
        .collect();
    v.sort();
    Ok(v)
}

fn run() -> io::Result<bool> {
    let root = std::env::args().nth(1);
    let where_ = root
        .clone()
        .or_else(|| std::env::var("VMMCTL_ROOT").ok())
        .unwrap_or_else(|| "/dev".into());
    let prefix = format!("rust-demo-{}-", std::process::id());
    let scoped = format!("{prefix}scoped");
    let persistent = format!("{prefix}persistent");

    println!(
        "libvmmctl {} (bindings generated from header {})",
        vmmctl::library_version(),
        vmmctl::Version::HEADER
    );
    let ctl = open(root.as_deref(), true)?;
    println!("opened {where_}/vmmctl: {ctl:?}");

    ctl.create(&scoped, CreateFlags::empty())?;
    println!("created {scoped:?} (descriptor-scoped)");

    let mut have_persistent = false;
    match ctl.create(&persistent, CreateFlags::PERSISTENT) {
        Ok(()) => {
            have_persistent = true;
            println!("created {persistent:?} (persistent)");
        }
        Err(e) if e.kind() == ErrorKind::PermissionDenied => {
            let msg = vmmctl::strerror(e.raw_os_error().unwrap_or(0));
            println!("persistent create refused: {msg} (not privileged)");
        }
        Err(e) => return Err(e),
    }

    match ctl.create(&scoped, CreateFlags::empty()) {
        Err(e) if e.kind() == ErrorKind::AlreadyExists => {
            println!("creating {scoped:?} again: {e}")
        }
        other => {
            println!("creating {scoped:?} again: unexpected {other:?}");
            return Ok(false);
        }
    }

    println!("list: {:?}", ours(&ctl, &prefix)?);
    let node = ctl.vm_open(&scoped)?;
    println!("opened {where_}/vmm/{scoped}: fd {}", node.as_raw_fd());
    drop(node);

    if have_persistent {
        ctl.destroy(&persistent)?;
        println!("destroyed {persistent:?}");
    }
    match ctl.destroy(&persistent) {
        Err(e) if e.kind() == ErrorKind::NotFound => {
            println!("destroying {persistent:?} again: {e}")
        }
        other => {
            println!("destroying {persistent:?} again: unexpected {other:?}");
            return Ok(false);
        }
    }
    println!("list: {:?}", ours(&ctl, &prefix)?);

    drop(ctl);
    println!("closed the descriptor");
    let ctl = open(root.as_deref(), false)?;
    let left = ours(&ctl, &prefix)?;
    println!("list after close: {left:?}");
    if left.is_empty() {
        println!("the scoped VM went with its descriptor");
        Ok(true)
    } else {
        println!("FAIL: left behind: {left:?}");
        for n in &left {
            let _ = ctl.destroy(n);
        }
        Ok(false)
    }
}

fn main() -> ExitCode {
    match run() {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("vmmctl-demo: {e}");
            ExitCode::FAILURE
        }
    }
}

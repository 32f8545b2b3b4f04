//! A short transcript of the vmmctl life cycle, run by bindings/rust/demo.sh:
//! create a scoped and a persistent VM, list, destroy, drop the descriptor
//! and see the scoped VM go.  Leaves no VM of its own behind.
//!
//! Usage: `vmmctl-demo [ROOT]` (default: `$VMMCTL_ROOT`, else `/dev`).
//! With `VMMCTL_FD` set to an inherited control descriptor, it adopts that
//! descriptor instead of opening one (as vmmctl(1) does).

use std::io::{self, ErrorKind};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::process::ExitCode;

use vmmctl::{CreateFlags, Vmmctl};

/// One transcript line, tagged like the other bindings' demos.
macro_rules! say {
    ($($arg:tt)*) => { println!("rust: {}", format_args!($($arg)*)) };
}

/// An error as the library words it, with the system's wording after.
fn why(e: &io::Error) -> String {
    match e.raw_os_error() {
        Some(n) => format!("{} ({e})", vmmctl::strerror(n)),
        None => e.to_string(),
    }
}

fn open(root: Option<&str>, adopt: bool) -> io::Result<Vmmctl> {
    let inherited = std::env::var("VMMCTL_FD").ok().filter(|s| !s.is_empty());
    if let Some(fd) = inherited.filter(|_| adopt) {
        let fd: i32 = fd
            .parse()
            .map_err(|_| io::Error::new(ErrorKind::InvalidInput, "VMMCTL_FD: not a number"))?;
        // SAFETY: whoever set VMMCTL_FD handed this process that open
        // descriptor for it to own; nothing else in this program uses it.
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        say!("adopting inherited control descriptor {}", fd.as_raw_fd());
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

    say!(
        "libvmmctl {} (bindings generated from header {})",
        vmmctl::library_version(),
        vmmctl::Version::HEADER
    );
    let ctl = open(root.as_deref(), true)?;
    say!("opened {where_}/vmmctl: {ctl:?}");

    ctl.create(&scoped, CreateFlags::empty())?;
    say!("created {scoped:?} (descriptor-scoped)");

    let mut have_persistent = false;
    match ctl.create(&persistent, CreateFlags::PERSISTENT) {
        Ok(()) => {
            have_persistent = true;
            say!("created {persistent:?} (persistent)");
        }
        Err(e) if e.kind() == ErrorKind::PermissionDenied => {
            say!("persistent create refused: {}", why(&e));
        }
        Err(e) => return Err(e),
    }

    match ctl.create(&scoped, CreateFlags::empty()) {
        Err(e) if e.kind() == ErrorKind::AlreadyExists => {
            say!("creating {scoped:?} again: {}", why(&e))
        }
        other => {
            say!("creating {scoped:?} again: unexpected {other:?}");
            return Ok(false);
        }
    }

    say!("list: {:?}", ours(&ctl, &prefix)?);
    let node = ctl.vm_open(&scoped)?;
    say!("opened {where_}/vmm/{scoped}: fd {}", node.as_raw_fd());
    drop(node);

    if have_persistent {
        ctl.destroy(&persistent)?;
        say!("destroyed {persistent:?}");
    }
    match ctl.destroy(&persistent) {
        Err(e) if e.kind() == ErrorKind::NotFound => {
            say!("destroying {persistent:?} again: {}", why(&e))
        }
        other => {
            say!("destroying {persistent:?} again: unexpected {other:?}");
            return Ok(false);
        }
    }
    say!("list: {:?}", ours(&ctl, &prefix)?);

    drop(ctl);
    say!("closed the descriptor");
    let ctl = open(root.as_deref(), false)?;
    let left = ours(&ctl, &prefix)?;
    say!("list after close: {left:?}");
    if left.is_empty() {
        say!("the scoped VM went with its descriptor");
        Ok(true)
    } else {
        say!("FAIL: left behind: {left:?}");
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
            eprintln!("rust: vmmctl-demo: {}", why(&e));
            ExitCode::FAILURE
        }
    }
}

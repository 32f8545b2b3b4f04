//! A control descriptor passed to a child process keeps its VMs alive until
//! the child, too, has closed it or exited.  The child is this test binary
//! itself, re-run with the same test selected and VMMCTL_TEST_CHILD_FD set:
//! it adopts the inherited descriptor with Vmmctl::from_fd.
//!
//! Its own binary: the descriptor is opened with OpenFlags::INHERIT, which
//! any process spawned meanwhile by another test would inherit too.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::process::{Command, Stdio};

use vmmctl::{CreateFlags, OpenFlags, Vmmctl};

const CHILD_FD: &str = "VMMCTL_TEST_CHILD_FD";

/// The child's side: adopt the descriptor, show it works, wait for the
/// parent's word, create one more VM, exit (closing it).
fn child(fd: &str) {
    let fd: i32 = fd.parse().expect("VMMCTL_TEST_CHILD_FD");
    // SAFETY: the parent passed this open descriptor for us to own, and
    // nothing else in this process uses it.
    let ctl = Vmmctl::from_fd(unsafe { OwnedFd::from_raw_fd(fd) }).expect("adopt");
    assert_eq!(ctl.list().unwrap(), ["from-parent"]);
    println!("child: ready");
    std::io::stdout().flush().unwrap();
    let mut go = String::new();
    std::io::stdin().read_line(&mut go).unwrap();
    assert_eq!(go.trim(), "go");
    // Still alive although the parent closed its copy.
    assert_eq!(ctl.list().unwrap(), ["from-parent"]);
    ctl.create("from-child", CreateFlags::empty()).unwrap();
    println!("child: done");
    // The child's close is the last reference: both VMs go.
    drop(ctl);
}

#[test]
fn descriptor_passed_to_a_child_keeps_vms_alive() {
    if let Ok(fd) = std::env::var(CHILD_FD) {
        child(&fd);
        return;
    }
    let sim = common::sim();
    let watcher = sim.open().unwrap();
    let ctl = Vmmctl::open_with(Some(sim.root()), OpenFlags::INHERIT).unwrap();
    ctl.create("from-parent", CreateFlags::empty()).unwrap();

    let mut kid = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "descriptor_passed_to_a_child_keeps_vms_alive",
            "--nocapture",
            "--test-threads",
            "1",
        ])
        .env(CHILD_FD, ctl.as_raw_fd().to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(kid.stdout.take().unwrap());
    let mut transcript = String::new();
    loop {
        let mut line = String::new();
        assert!(
            out.read_line(&mut line).unwrap() > 0,
            "child ended before it was ready:\n{transcript}"
        );
        transcript.push_str(&line);
        if line.trim_end().ends_with("child: ready") {
            break;
        }
    }

    // The parent lets go: the child's copy keeps the VM.
    drop(ctl);
    assert_eq!(watcher.list().unwrap(), ["from-parent"]);

    kid.stdin.take().unwrap().write_all(b"go\n").unwrap();
    out.read_to_string(&mut transcript).unwrap();
    let status = kid.wait().unwrap();
    assert!(status.success(), "child failed: {status}\n{transcript}");
    assert!(transcript.contains("child: done"), "{transcript}");

    // The child exited: the last reference went, and both VMs with it.
    assert!(
        watcher.list().unwrap().is_empty(),
        "left: {:?}",
        watcher.list()
    );
}

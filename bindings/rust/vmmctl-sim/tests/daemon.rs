//! The vmmctl-sim command built by this crate: a daemon that
//! vmmctl::sim::Simulator::builder().program() runs, with the C daemon's
//! options, output and exit statuses (it is vmmctl_sim_main()).

use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use vmmctl::sim::Simulator;
use vmmctl::{CreateFlags, Vmmctl};

const DAEMON: &str = env!("CARGO_BIN_EXE_vmmctl-sim");

fn run(program: &Path, args: &[&str]) -> Output {
    Command::new(program).args(args).output().unwrap()
}

#[test]
fn program_runs_the_daemon() {
    let sim = Simulator::builder()
        .program(DAEMON)
        .jail("j1")
        .uid_limit(2)
        .start()
        .unwrap();
    let pid = sim.pid().expect("a daemon has a pid");
    assert!(Path::new(&format!("/proc/{pid}")).exists() || !cfg!(target_os = "linux"));
    let host = sim.open().unwrap();
    let j1 = Vmmctl::open_at(sim.jail_root("j1")).unwrap();
    j1.create("a", CreateFlags::empty()).unwrap();
    let e = host.create("a", CreateFlags::empty()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::AlreadyExists);
    host.create("b", CreateFlags::empty()).unwrap();
    let e = host.create("c", CreateFlags::empty()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::OutOfMemory, "uid limit 2: {e}");
    assert_eq!(host.list().unwrap(), ["a", "b"]);
    let root = sim.root().to_path_buf();
    // SIGTERM: a clean exit (status 0) that removes what it made.
    sim.stop().unwrap();
    assert!(!root.exists());
    let e = host.create("after", CreateFlags::empty()).unwrap_err();
    assert!(e.raw_os_error().is_some(), "{e}");
}

#[test]
fn missing_program_is_not_found() {
    let e = Simulator::builder()
        .program("/nonexistent/vmmctl-sim")
        .start()
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
}

#[test]
fn bad_options_fail_before_ready() {
    let e = Simulator::builder()
        .program(DAEMON)
        .jail("vmm")
        .start()
        .unwrap_err();
    assert!(e.to_string().contains("exited before it was ready"), "{e}");
}

/// The C tree's daemon, when this runs inside it ($VMMCTL_BUILD).
fn c_daemon() -> Option<PathBuf> {
    let p = PathBuf::from(std::env::var_os("VMMCTL_BUILD")?).join("bin/vmmctl-sim");
    p.is_file().then_some(p)
}

#[test]
fn same_interface_as_the_c_daemon() {
    let Some(c) = c_daemon() else {
        println!("SKIPPED: no $VMMCTL_BUILD/bin/vmmctl-sim to compare with");
        return;
    };
    let cases: &[&[&str]] = &[
        &["--help"],
        &[],
        &["--no-such-option"],
        &["--root", "/tmp/x", "--uid-limit", "-1"],
        &["--root", "/tmp/x", "extra"],
    ];
    for args in cases {
        let rust = run(Path::new(DAEMON), args);
        let cout = run(&c, args);
        assert_eq!(rust.status.code(), cout.status.code(), "{args:?}");
        assert_eq!(rust.stdout, cout.stdout, "{args:?}");
        // Messages name the program: compare past "vmmctl-sim".
        let strip = |b: &[u8]| String::from_utf8_lossy(b).replace(DAEMON, "vmmctl-sim");
        let strip_c =
            |b: &[u8]| String::from_utf8_lossy(b).replace(c.to_str().unwrap(), "vmmctl-sim");
        assert_eq!(strip(&rust.stderr), strip_c(&cout.stderr), "{args:?}");
    }
}

#[test]
fn generation_option_follows_the_daemon() {
    // --generation is passed only when set; whether this daemon knows it
    // yet is in its usage text.
    let help = String::from_utf8(run(Path::new(DAEMON), &["--help"]).stdout).unwrap();
    let r = Simulator::builder().program(DAEMON).generation(3).start();
    if help.contains("--generation") {
        r.unwrap().open().unwrap();
        let e = Simulator::builder()
            .program(DAEMON)
            .generation(9)
            .start()
            .unwrap_err();
        assert!(e.to_string().contains("exited before it was ready"), "{e}");
    } else {
        let e = r.unwrap_err();
        assert!(e.to_string().contains("exited before it was ready"), "{e}");
    }
}

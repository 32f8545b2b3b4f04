//! Starting a private `vmmctl-sim` for tests: the kernel side of
//! `/dev/vmmctl` in a userspace daemon, under a fresh temporary root, so
//! orchestration code can be tested on machines without bhyve.
//!
//! ```
//! # fn main() -> std::io::Result<()> {
//! let sim = vmmctl::sim::Simulator::builder().jail("j1").start()?;
//! let host = sim.open()?;
//! let jailed = vmmctl::Vmmctl::open_at(sim.jail_root("j1"))?;
//! jailed.create("in-jail", vmmctl::CreateFlags::empty())?;
//! assert_eq!(host.list()?, ["in-jail"]); // visible to the parent
//! # Ok(())
//! # }
//! ```
//!
//! The simulator is stopped (SIGTERM, then SIGKILL if it does not exit
//! within 10 s) and its root removed when the [`Simulator`] is dropped.
//! Child processes inherit descriptors opened with
//! [`OpenFlags::INHERIT`](crate::OpenFlags::INHERIT): start simulators
//! before opening such descriptors, or the simulator holds them (and their
//! VMs) for its whole life.

use std::fs;
use std::io;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::Vmmctl;

/// How long to wait for the simulator to answer, or to exit.
const TIMEOUT: Duration = Duration::from_secs(10);

/// A running `vmmctl-sim` under its own temporary root; stopped and cleaned
/// up on drop.
#[derive(Debug)]
pub struct Simulator {
    child: Option<Child>,
    root: PathBuf,
}

/// Options for [`Simulator`]: `Simulator::builder().jail("a").start()`.
#[derive(Debug, Default, Clone)]
pub struct SimulatorBuilder {
    program: Option<PathBuf>,
    jails: Vec<String>,
    uid_limit: Option<u32>,
}

impl SimulatorBuilder {
    /// The `vmmctl-sim` program to run (default: [`Simulator::program`]).
    pub fn program(mut self, path: impl Into<PathBuf>) -> Self {
        self.program = Some(path.into());
        self
    }

    /// Adds a jail (`--jail NAME`; `a/b` nests `b` in `a`); open it with
    /// [`Simulator::jail_root`].
    pub fn jail(mut self, name: impl Into<String>) -> Self {
        self.jails.push(name.into());
        self
    }

    /// Limits each uid to `n` VMs (`--uid-limit N`; more gives `ENOMEM`).
    pub fn uid_limit(mut self, n: u32) -> Self {
        self.uid_limit = Some(n);
        self
    }

    /// Creates a fresh root under `/tmp` (short, for the unix socket path
    /// limit), starts the simulator there and waits until it answers
    /// (bounded to 10 s).
    pub fn start(self) -> io::Result<Simulator> {
        let root = fresh_root()?;
        let program = self.program.unwrap_or_else(Simulator::program);
        let mut cmd = Command::new(&program);
        cmd.arg("--root").arg(&root);
        for j in &self.jails {
            cmd.arg("--jail").arg(j);
        }
        if let Some(n) = self.uid_limit {
            cmd.arg("--uid-limit").arg(n.to_string());
        }
        cmd.stdin(Stdio::null()).stdout(Stdio::null());
        let child = match cmd.spawn() {
            Ok(c) => c,
            Err(e) => {
                let _ = fs::remove_dir_all(&root);
                return Err(io::Error::new(
                    e.kind(),
                    format!("cannot start {}: {e}", program.display()),
                ));
            }
        };
        let mut sim = Simulator {
            child: Some(child),
            root,
        };
        sim.wait_ready()?;
        Ok(sim)
    }
}

impl Simulator {
    /// Starts a simulator with default options (see
    /// [`SimulatorBuilder::start`]).
    pub fn start() -> io::Result<Simulator> {
        Self::builder().start()
    }

    /// Options for a simulator.
    pub fn builder() -> SimulatorBuilder {
        SimulatorBuilder::default()
    }

    /// The program started by default: `$VMMCTL_SIM` if set, else
    /// `$VMMCTL_BUILD/bin/vmmctl-sim` if `VMMCTL_BUILD` is set, else the
    /// source tree's `build/bin/vmmctl-sim` if this crate was built inside
    /// the vmmctl tree and it exists (as vmmctl-sys links that tree's
    /// library), else `vmmctl-sim` from `$PATH`.
    pub fn program() -> PathBuf {
        let nonempty = |v: &str| std::env::var_os(v).filter(|s| !s.is_empty());
        if let Some(p) = nonempty("VMMCTL_SIM") {
            return PathBuf::from(p);
        }
        if let Some(b) = nonempty("VMMCTL_BUILD") {
            return PathBuf::from(b).join("bin/vmmctl-sim");
        }
        let in_tree = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../build/bin/vmmctl-sim");
        if in_tree.is_file() {
            return in_tree;
        }
        PathBuf::from("vmmctl-sim")
    }

    /// The simulator's root: the directory holding `vmmctl` and `vmm/`,
    /// what [`Vmmctl::open_at`] takes.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The root of the jail `name` (`<root>/jails/<name>`): opening it acts
    /// from inside that jail.
    pub fn jail_root(&self, name: &str) -> PathBuf {
        self.root.join("jails").join(name)
    }

    /// Opens a new control descriptor on this simulator.
    pub fn open(&self) -> io::Result<Vmmctl> {
        Vmmctl::open_at(&self.root)
    }

    /// The simulator's process id.
    pub fn pid(&self) -> u32 {
        self.child.as_ref().map_or(0, Child::id)
    }

    /// Stops the simulator (SIGTERM) and returns its exit status; the root
    /// is removed.
    pub fn stop(mut self) -> io::Result<ExitStatus> {
        self.shutdown()
    }

    fn wait_ready(&mut self) -> io::Result<()> {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            if let Some(status) = self.child.as_mut().and_then(|c| c.try_wait().transpose()) {
                return Err(io::Error::other(format!(
                    "vmmctl-sim exited before it was ready: {}",
                    status?
                )));
            }
            match Vmmctl::open_at(&self.root) {
                Ok(_) => return Ok(()),
                Err(e) if Instant::now() >= deadline => {
                    return Err(io::Error::new(
                        e.kind(),
                        format!("vmmctl-sim not ready after {TIMEOUT:?}: {e}"),
                    ))
                }
                Err(_) => thread::sleep(Duration::from_millis(10)),
            }
        }
    }

    fn shutdown(&mut self) -> io::Result<ExitStatus> {
        let result = match self.child.take() {
            Some(mut child) => terminate(&mut child),
            None => Err(io::Error::other("simulator already stopped")),
        };
        let _ = fs::remove_dir_all(&self.root);
        result
    }
}

impl Drop for Simulator {
    fn drop(&mut self) {
        if self.child.is_some() {
            let _ = self.shutdown();
        } else {
            let _ = fs::remove_dir_all(&self.root);
        }
    }
}

/// SIGTERM, wait up to TIMEOUT, then SIGKILL.
fn terminate(child: &mut Child) -> io::Result<ExitStatus> {
    if let Some(status) = child.try_wait()? {
        return Ok(status);
    }
    send_sigterm(child.id());
    let deadline = Instant::now() + TIMEOUT;
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(status);
        }
        if Instant::now() >= deadline {
            child.kill()?;
            return child.wait();
        }
        thread::sleep(Duration::from_millis(10));
    }
}

fn send_sigterm(pid: u32) {
    const SIGTERM: i32 = 15; // Linux, FreeBSD and macOS
    extern "C" {
        fn kill(pid: i32, sig: i32) -> i32;
    }
    if let Ok(pid) = i32::try_from(pid) {
        // SAFETY: kill(2) has no memory-safety preconditions; pid is our
        // own child, not yet reaped, so it cannot have been reused.
        unsafe { kill(pid, SIGTERM) };
    }
}

/// A new, empty, short directory `/tmp/vmr.<pid>.<n>` (mode 0755, so a test
/// running as root can let an unprivileged child reach the socket).
fn fresh_root() -> io::Result<PathBuf> {
    static SEQ: AtomicU32 = AtomicU32::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    for _ in 0..1000 {
        let n = SEQ.fetch_add(1, Ordering::Relaxed);
        let path = PathBuf::from(format!(
            "/tmp/vmr.{}.{n}.{:x}",
            std::process::id(),
            nanos % 0x10000
        ));
        match fs::DirBuilder::new().mode(0o755).create(&path) {
            Ok(()) => return Ok(path),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::other(
        "cannot create a fresh simulator root in /tmp",
    ))
}

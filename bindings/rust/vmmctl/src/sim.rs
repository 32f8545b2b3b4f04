//! A private simulator for tests: the kernel side of `/dev/vmmctl` under a
//! fresh temporary root, so orchestration code can be tested on machines
//! without bhyve, with nothing installed.
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
//! # In this process, or a daemon
//!
//! By default the simulator is the one `vmmctl-sys` carries (`csrc/`, the
//! same C as the `vmmctl-sim` daemon: the kernel core and the simulator
//! host), served by a thread of this process (`vmmctl_sim_start`):
//!
//! - nothing to install or find: no `vmmctl-sim` on `PATH`, no variable;
//! - ready when [`SimulatorBuilder::start`] returns (it listens first), no
//!   polling; several simulators per process, each under its own root;
//! - it cannot outlive the test: a panic unwinds through `Drop`, and if the
//!   process dies the simulator (and with it every VM) dies too;
//! - it serves with this process's credentials: a test running as root is
//!   privileged towards it (persistent VMs allowed), as with a daemon it
//!   started;
//! - a child made by `fork` without `exec` has no simulator (only the
//!   parent serves), and a crash in the C would take the test process with
//!   it.
//!
//! [`SimulatorBuilder::program`] runs an external `vmmctl-sim` daemon
//! instead (the C tree's, or `cargo install vmmctl-sim`), for tests that
//! need the simulator in another process: to kill it, to watch it from
//! outside, to use a build of another version.  That child process inherits
//! the descriptors opened with [`OpenFlags::INHERIT`](crate::OpenFlags::INHERIT)
//! at the time it starts, and holds them (and their VMs) for its whole
//! life: start such simulators first.
//!
//! Either way the simulator is stopped and its root removed when the
//! [`Simulator`] is dropped; every VM goes with it.

use std::ffi::{CStr, OsStr};
use std::fs;
use std::io;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::ptr::{self, NonNull};
use std::sync::atomic::{AtomicU32, Ordering};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::{cstring, errno, sys, Vmmctl};

/// How long to wait for a daemon to answer, or to exit.
const TIMEOUT: Duration = Duration::from_secs(10);

/// A running simulator under its own temporary root; stopped and cleaned
/// up on drop.
#[derive(Debug)]
pub struct Simulator {
    host: Host,
    root: PathBuf,
}

#[derive(Debug)]
enum Host {
    /// The bundled simulator, served by its own thread in this process.
    InProcess(InProcess),
    /// An external `vmmctl-sim` daemon.
    Daemon(Child),
    /// Stopped: only the root is left to remove.
    Stopped,
}

/// Owns a `struct vmmctl_sim` (freed, thread joined, on drop).
#[derive(Debug)]
struct InProcess(NonNull<sys::sim::vmmctl_sim>);

// SAFETY: the simulator library keeps no thread affinity and no global
// state; one simulator is driven from one thread at a time (vmmctl_sim.h).
// After vmmctl_sim_start() this type calls nothing but vmmctl_sim_free(),
// from Drop, which has exclusive access: moving it to another thread (Send)
// and sharing `&` references, through which nothing is called (Sync), are
// both sound.
unsafe impl Send for InProcess {}
// SAFETY: see above.
unsafe impl Sync for InProcess {}

impl InProcess {
    /// A simulator for `root` configured as `b` says, serving in its own
    /// thread once this returns.
    fn start(root: &Path, b: &SimulatorBuilder) -> io::Result<InProcess> {
        let croot = cstring(root.as_os_str())?;
        let mut p = ptr::null_mut();
        // SAFETY: a NUL-terminated string that outlives the call and a
        // valid place for the result.
        let rc = unsafe { sys::sim::vmmctl_sim_new(croot.as_ptr(), &mut p) };
        if rc != 0 {
            return Err(io::Error::from_raw_os_error(rc));
        }
        let sim = InProcess(NonNull::new(p).expect("vmmctl_sim_new: success and NULL"));
        for j in &b.jails {
            let cj = cstring(OsStr::new(j))?;
            // SAFETY: a live simulator, driven from this thread only, and a
            // NUL-terminated string that outlives the call.
            sim.check(unsafe { sys::sim::vmmctl_sim_jail(sim.ptr(), cj.as_ptr()) })?;
        }
        if let Some(n) = b.uid_limit {
            // SAFETY: a live simulator, driven from this thread only.
            sim.check(unsafe { sys::sim::vmmctl_sim_set_uid_limit(sim.ptr(), n) })?;
        }
        if b.fuse {
            // SAFETY: as above.
            sim.check(unsafe {
                sys::sim::vmmctl_sim_set_fuse(sim.ptr(), sys::sim::VMMCTL_SIM_FUSE as i32)
            })?;
        }
        if let Some(g) = b.generation {
            let g = i32::try_from(g).map_err(|_| io::Error::from_raw_os_error(errno::EINVAL))?;
            // SAFETY: as above.
            sim.check(unsafe { sys::sim::vmmctl_sim_set_generation(sim.ptr(), g) })?;
        }
        // SAFETY: as above; from here on the simulator's own thread
        // serves, and this type only frees it.
        sim.check(unsafe { sys::sim::vmmctl_sim_start(sim.ptr()) })?;
        Ok(sim)
    }

    fn ptr(&self) -> *mut sys::sim::vmmctl_sim {
        self.0.as_ptr()
    }

    /// A library return value as a result; the error carries the
    /// simulator's sentence, if it has one.
    fn check(&self, rc: i32) -> io::Result<()> {
        if rc == 0 {
            return Ok(());
        }
        let e = io::Error::from_raw_os_error(rc);
        // SAFETY: a live simulator; the string is NUL-terminated and owned
        // by it, copied before the next call.
        let why = unsafe { CStr::from_ptr(sys::sim::vmmctl_sim_error(self.ptr())) };
        if why.is_empty() {
            return Err(e);
        }
        Err(io::Error::new(
            e.kind(),
            format!("vmmctl-sim: {} ({e})", why.to_string_lossy()),
        ))
    }
}

impl Drop for InProcess {
    fn drop(&mut self) {
        // SAFETY: the simulator is live and freed once; this joins its
        // thread, releases every open file and removes what it made.
        unsafe { sys::sim::vmmctl_sim_free(self.ptr()) };
    }
}

/// Options for [`Simulator`]: `Simulator::builder().jail("a").start()`.
#[derive(Debug, Default, Clone)]
pub struct SimulatorBuilder {
    program: Option<PathBuf>,
    jails: Vec<String>,
    uid_limit: Option<u32>,
    generation: Option<u32>,
    fuse: bool,
}

impl SimulatorBuilder {
    /// Runs the external daemon `path` (a `vmmctl-sim` program) instead of
    /// the simulator in this process, with `--root` and the options set
    /// here; see the [module documentation](self) for when to.
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

    /// Limits each uid to `n` VMs (`--uid-limit N`; more gives `ENOMEM`);
    /// 0 means no limit.
    pub fn uid_limit(mut self, n: u32) -> Self {
        self.uid_limit = Some(n);
        self
    }

    /// The generation of FreeBSD's `/dev/vmmctl` to model
    /// (`--generation N`): 1, 2 or 3, or 0 for the newest (the default).
    /// [`start`](Self::start) fails with `Unsupported` (`ENOTSUP`) for a
    /// generation this simulator does not model, `InvalidInput` for one
    /// that does not exist.
    pub fn generation(mut self, n: u32) -> Self {
        self.generation = Some(n);
        self
    }

    /// Device mode (`--fuse`): the root is a FUSE mount in which `vmmctl`
    /// is a file answering the ioctls, so the library takes the path it
    /// takes for FreeBSD's character device, and the kernel tracks open
    /// file descriptions and callers.  Needs `/dev/fuse` with root or
    /// `fusermount3`, and, in this process, the crate feature `fuse`
    /// (libfuse3): otherwise [`start`](Self::start) fails, with
    /// `Unsupported` when the build has no FUSE support.
    pub fn fuse(mut self, on: bool) -> Self {
        self.fuse = on;
        self
    }

    /// Creates a fresh root under `/tmp` (short, for the unix socket path
    /// limit) and starts the simulator there.  In this process, it is ready
    /// when this returns; a daemon is waited for until it answers (at most
    /// 10 s).
    pub fn start(self) -> io::Result<Simulator> {
        let root = fresh_root()?;
        let host = match &self.program {
            None => InProcess::start(&root, &self).map(Host::InProcess),
            Some(program) => self.spawn(program, &root).map(Host::Daemon),
        };
        let mut sim = Simulator {
            host: host.inspect_err(|_| {
                let _ = fs::remove_dir_all(&root);
            })?,
            root,
        };
        if matches!(sim.host, Host::Daemon(_)) {
            sim.wait_ready()?;
        }
        Ok(sim)
    }

    fn spawn(&self, program: &Path, root: &Path) -> io::Result<Child> {
        let mut cmd = Command::new(program);
        cmd.arg("--root").arg(root);
        for j in &self.jails {
            cmd.arg("--jail").arg(j);
        }
        if let Some(n) = self.uid_limit {
            cmd.arg("--uid-limit").arg(n.to_string());
        }
        if let Some(n) = self.generation {
            cmd.arg("--generation").arg(n.to_string());
        }
        if self.fuse {
            cmd.arg("--fuse");
        }
        cmd.stdin(Stdio::null()).stdout(Stdio::null());
        cmd.spawn().map_err(|e| {
            io::Error::new(e.kind(), format!("cannot start {}: {e}", program.display()))
        })
    }
}

impl Simulator {
    /// Starts a simulator in this process with default options (see
    /// [`SimulatorBuilder::start`]).
    pub fn start() -> io::Result<Simulator> {
        Self::builder().start()
    }

    /// Options for a simulator.
    pub fn builder() -> SimulatorBuilder {
        SimulatorBuilder::default()
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

    /// The daemon's process id ([`SimulatorBuilder::program`]); `None` for
    /// the simulator in this process.
    pub fn pid(&self) -> Option<u32> {
        match &self.host {
            Host::Daemon(child) => Some(child.id()),
            _ => None,
        }
    }

    /// Stops the simulator, destroying every VM, and removes the root.  A
    /// daemon gets SIGTERM (SIGKILL after 10 s); its exit other than by
    /// success is an error.
    pub fn stop(mut self) -> io::Result<()> {
        self.shutdown()
    }

    fn wait_ready(&mut self) -> io::Result<()> {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            if let Host::Daemon(child) = &mut self.host {
                if let Some(status) = child.try_wait()? {
                    return Err(io::Error::other(format!(
                        "vmmctl-sim exited before it was ready: {status}"
                    )));
                }
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

    fn shutdown(&mut self) -> io::Result<()> {
        let result = match std::mem::replace(&mut self.host, Host::Stopped) {
            Host::InProcess(sim) => {
                drop(sim);
                Ok(())
            }
            Host::Daemon(mut child) => terminate(&mut child).and_then(|status| {
                if status.success() {
                    Ok(())
                } else {
                    Err(io::Error::other(format!("vmmctl-sim: {status}")))
                }
            }),
            Host::Stopped => Ok(()),
        };
        let _ = fs::remove_dir_all(&self.root);
        result
    }
}

impl Drop for Simulator {
    fn drop(&mut self) {
        let _ = self.shutdown();
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

//! Conformance driver (Rust): reads one command per line on stdin and
//! answers one line on stdout (the protocol of tests/conformance), so a
//! controller can script it together with the C, Python and Go drivers
//! against one simulator.

use std::io::{self, BufRead, Write};
use std::mem;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::net::UnixDatagram;
use std::path::Path;

use vmmctl::{CreateFlags, Vmmctl};

/// The errno names every driver reports (the same table in each language).
const ERRNO_NAMES: &[(i32, &str)] = &[
    (libc::EPERM, "EPERM"),
    (libc::ENOENT, "ENOENT"),
    (libc::EINTR, "EINTR"),
    (libc::EIO, "EIO"),
    (libc::EBADF, "EBADF"),
    (libc::EAGAIN, "EAGAIN"),
    (libc::ENOMEM, "ENOMEM"),
    (libc::EACCES, "EACCES"),
    (libc::EBUSY, "EBUSY"),
    (libc::EEXIST, "EEXIST"),
    (libc::ENODEV, "ENODEV"),
    (libc::ENOTDIR, "ENOTDIR"),
    (libc::EINVAL, "EINVAL"),
    (libc::EMFILE, "EMFILE"),
    (libc::ENOTTY, "ENOTTY"),
    (libc::EPIPE, "EPIPE"),
    (libc::ERANGE, "ERANGE"),
    (libc::ENAMETOOLONG, "ENAMETOOLONG"),
    (libc::EPROTO, "EPROTO"),
    (libc::ECONNRESET, "ECONNRESET"),
    (libc::ECONNREFUSED, "ECONNREFUSED"),
];

fn err_answer(err: &io::Error) -> String {
    match err.raw_os_error() {
        Some(code) => match ERRNO_NAMES.iter().find(|(c, _)| *c == code) {
            Some((_, name)) => format!("err {name}"),
            None => format!("err E{code}"),
        },
        None => format!("err E? {err}"),
    }
}

fn errno(code: i32) -> io::Error {
    io::Error::from_raw_os_error(code)
}

fn cmsg_buffer() -> Vec<u8> {
    // SAFETY: CMSG_SPACE is a pure size computation.
    vec![0u8; unsafe { libc::CMSG_SPACE(mem::size_of::<RawFd>() as u32) } as usize]
}

fn send_fd(path: &Path, fd: RawFd) -> io::Result<()> {
    let sock = UnixDatagram::unbound()?;
    sock.connect(path)?;
    let mut byte = [b'F'];
    let mut iov = libc::iovec {
        iov_base: byte.as_mut_ptr().cast(),
        iov_len: 1,
    };
    let mut cbuf = cmsg_buffer();
    // SAFETY: msghdr is plain data; zeroed is a valid empty header.
    let mut msg: libc::msghdr = unsafe { mem::zeroed() };
    msg.msg_iov = &mut iov;
    msg.msg_iovlen = 1;
    msg.msg_control = cbuf.as_mut_ptr().cast();
    msg.msg_controllen = cbuf.len() as _;
    // SAFETY: msg points at a control buffer of CMSG_SPACE(one fd) bytes,
    // so the first header and its data fit; everything outlives sendmsg.
    let rc = unsafe {
        let cm = libc::CMSG_FIRSTHDR(&msg);
        (*cm).cmsg_level = libc::SOL_SOCKET;
        (*cm).cmsg_type = libc::SCM_RIGHTS;
        (*cm).cmsg_len = libc::CMSG_LEN(mem::size_of::<RawFd>() as u32) as _;
        std::ptr::write_unaligned(libc::CMSG_DATA(cm).cast::<RawFd>(), fd);
        libc::sendmsg(sock.as_raw_fd(), &msg, 0)
    };
    if rc == -1 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

fn recv_fd(sock: &UnixDatagram) -> io::Result<OwnedFd> {
    let mut byte = [0u8];
    let mut iov = libc::iovec {
        iov_base: byte.as_mut_ptr().cast(),
        iov_len: 1,
    };
    let mut cbuf = cmsg_buffer();
    // SAFETY: msghdr is plain data; zeroed is a valid empty header.
    let mut msg: libc::msghdr = unsafe { mem::zeroed() };
    msg.msg_iov = &mut iov;
    msg.msg_iovlen = 1;
    msg.msg_control = cbuf.as_mut_ptr().cast();
    msg.msg_controllen = cbuf.len() as _;
    // SAFETY: the buffers outlive the call and msg describes their sizes.
    if unsafe { libc::recvmsg(sock.as_raw_fd(), &mut msg, libc::MSG_CMSG_CLOEXEC) } == -1 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: the kernel filled msg_control and msg_controllen; the macros
    // walk within them.
    unsafe {
        let mut cm = libc::CMSG_FIRSTHDR(&msg);
        while !cm.is_null() {
            if (*cm).cmsg_level == libc::SOL_SOCKET && (*cm).cmsg_type == libc::SCM_RIGHTS {
                let fd = std::ptr::read_unaligned(libc::CMSG_DATA(cm).cast::<RawFd>());
                return Ok(OwnedFd::from_raw_fd(fd));
            }
            cm = libc::CMSG_NXTHDR(&msg, cm);
        }
    }
    Err(errno(libc::EBADMSG))
}

#[derive(Default)]
struct Driver {
    ctl: Option<Vmmctl>,
    held: Vec<OwnedFd>,
}

impl Driver {
    fn need_ctl(&self) -> io::Result<&Vmmctl> {
        self.ctl.as_ref().ok_or_else(|| errno(libc::EBADF))
    }

    fn need_none(&self) -> io::Result<()> {
        match self.ctl {
            Some(_) => Err(errno(libc::EBUSY)),
            None => Ok(()),
        }
    }

    fn run(&mut self, words: &[&str], out: &mut impl Write) -> io::Result<String> {
        let arg = |i: usize| words.get(i + 1).copied().unwrap_or("");
        match words[0] {
            "open" => {
                self.need_none()?;
                self.ctl = Some(Vmmctl::open_at(arg(0))?);
            }
            "adopt" => {
                self.need_none()?;
                let fd: RawFd = arg(0).parse().map_err(|_| errno(libc::EINVAL))?;
                // An OwnedFd must hold an open descriptor: check first.
                // SAFETY: F_GETFD only reads the descriptor flags.
                if fd < 0 || unsafe { libc::fcntl(fd, libc::F_GETFD) } == -1 {
                    return Err(errno(libc::EBADF));
                }
                // SAFETY: the controller handed this inherited descriptor
                // to us; nothing else in the process uses it.
                self.ctl = Some(Vmmctl::from_fd(unsafe { OwnedFd::from_raw_fd(fd) })?);
            }
            "create" => {
                let flags = if arg(1) == "persistent" {
                    CreateFlags::PERSISTENT
                } else {
                    CreateFlags::empty()
                };
                self.need_ctl()?.create(arg(0), flags)?;
            }
            "destroy" => self.need_ctl()?.destroy(arg(0))?,
            "list" => {
                let mut names = self.need_ctl()?.list()?;
                names.sort();
                names.insert(0, "ok".to_owned());
                return Ok(names.join(" "));
            }
            "close" => {
                let ctl = self.ctl.take().ok_or_else(|| errno(libc::EBADF))?;
                ctl.close()?;
            }
            "dup" => {
                let fd = self.need_ctl()?.try_clone_fd()?;
                self.held.push(fd);
            }
            "release" => self.held.clear(),
            "send-fd" => send_fd(Path::new(arg(0)), self.need_ctl()?.as_raw_fd())?,
            "recv-fd" => {
                self.need_none()?;
                let path = Path::new(arg(0));
                let sock = UnixDatagram::bind(path)?;
                writeln!(out, "ready")?;
                out.flush()?;
                let received = recv_fd(&sock);
                std::fs::remove_file(path)?;
                self.ctl = Some(Vmmctl::from_fd(received?)?);
            }
            "hold" | "ping" => {}
            "exit" => std::process::exit(0),
            "crash" => {
                // SAFETY: raising a signal on ourselves has no memory effects.
                unsafe { libc::raise(libc::SIGKILL) };
            }
            _ => return Err(errno(libc::EINVAL)),
        }
        Ok("ok".to_owned())
    }
}

fn main() -> io::Result<()> {
    let mut driver = Driver::default();
    let stdout = io::stdout();
    let mut out = stdout.lock();
    for line in io::stdin().lock().lines() {
        let line = line?;
        let words: Vec<&str> = line.split_whitespace().collect();
        let reply = if words.is_empty() {
            err_answer(&errno(libc::EINVAL))
        } else {
            driver
                .run(&words, &mut out)
                .unwrap_or_else(|e| err_answer(&e))
        };
        writeln!(out, "{reply}")?;
        out.flush()?;
    }
    Ok(())
}

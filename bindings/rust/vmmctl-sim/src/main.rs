//! `vmmctl-sim`: the simulator daemon, the same program as the C tree's
//! `vmmctl-sim(1)` (its options, `-d`, `--pidfile`, SIGTERM/SIGINT
//! handling and exit statuses), because it *is* that program: `main` hands
//! its arguments to the bundled `vmmctl_sim_main()`.
//!
//! ```text
//! vmmctl-sim --root DIR [--jail NAME]... [--uid-limit N] [--pidfile FILE] [-d]
//! ```

use std::ffi::{c_char, c_int, CString};
use std::os::unix::ffi::OsStringExt;
use std::process::ExitCode;

use vmmctl_sys::sim::vmmctl_sim_main;

fn main() -> ExitCode {
    // NUL-terminated copies, and a NULL-terminated argv over them, as C's
    // main() gets (getopt_long may permute the pointers, never the bytes).
    let args: Vec<CString> = match std::env::args_os()
        .map(|a| CString::new(a.into_vec()))
        .collect()
    {
        Ok(a) => a,
        Err(_) => {
            eprintln!("vmmctl-sim: an argument contains a NUL byte");
            return ExitCode::from(64); // EX_USAGE
        }
    };
    let mut argv: Vec<*mut c_char> = args.iter().map(|a| a.as_ptr().cast_mut()).collect();
    argv.push(std::ptr::null_mut());
    let argc = c_int::try_from(args.len()).expect("argument count fits an int");
    // SAFETY: argv holds argc pointers to NUL-terminated strings that live
    // (in `args`) until the call returns, then a NULL, as main() would get;
    // vmmctl_sim_main() reorders the pointers but never writes through
    // them.  This thread is the only one, so the daemon's fork() (-d) and
    // signal handlers see a single-threaded process, as in C.
    let rc = unsafe { vmmctl_sim_main(argc, argv.as_mut_ptr()) };
    ExitCode::from(u8::try_from(rc).unwrap_or(1))
}

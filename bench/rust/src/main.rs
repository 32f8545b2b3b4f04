//! `vmmctl-bench-rust ROOT OPS BATCHES WARMUP`: create + destroy of one
//! descriptor-scoped VM through the `vmmctl` crate, `OPS` times per batch;
//! prints `{"batches_ns": [...]}` (nanoseconds per create + destroy).

use std::process::ExitCode;
use std::time::Instant;

use vmmctl::{CreateFlags, Vmmctl};

fn batch(ctl: &Vmmctl, name: &str, ops: u64) -> std::io::Result<f64> {
    let t0 = Instant::now();
    for _ in 0..ops {
        ctl.create(name, CreateFlags::empty())?;
        ctl.destroy(name)?;
    }
    Ok(t0.elapsed().as_nanos() as f64 / ops as f64)
}

fn run(args: &[String]) -> std::io::Result<String> {
    let num = |s: &String| -> std::io::Result<u64> {
        s.parse()
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))
    };
    let (ops, batches, warm) = (num(&args[2])?, num(&args[3])?, num(&args[4])?);
    let ctl = Vmmctl::open_at(&args[1])?;
    let name = format!("bench-rust-{}", std::process::id());
    batch(&ctl, &name, warm)?;
    let mut res = Vec::new();
    for _ in 0..batches {
        res.push(format!("{:.1}", batch(&ctl, &name, ops)?));
    }
    ctl.close()?;
    Ok(format!("{{\"batches_ns\": [{}]}}", res.join(", ")))
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 5 {
        eprintln!("usage: vmmctl-bench-rust ROOT OPS BATCHES WARMUP");
        return ExitCode::from(2);
    }
    match run(&args) {
        Ok(line) => {
            println!("{line}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("vmmctl-bench-rust: {e}");
            ExitCode::FAILURE
        }
    }
}

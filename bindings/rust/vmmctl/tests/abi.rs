//! The bindings against tests/abi/abi.json, the shared ABI description
//! (its generated copy, tests/common/abi_json.rs, so that this runs from the
//! package alone):
//! every constant's value, every kernel struct's size, alignment and field
//! offsets and sizes, and every function's name, parameter and return types
//! (read off the Rust signatures bindgen generated), plus the kernel ABI
//! driven end to end through vmmctl_ioctl against a simulator.

mod common;

use std::ffi::{c_char, c_int, c_ulong, c_void};
use std::mem::{align_of, offset_of, size_of, size_of_val};

use common::json::{self, Value};
use vmmctl::sys::{self, kernel_abi as k, vmmctl_t};

fn abi() -> Value {
    // tests/abi/abi.json, copied by `make bindings` (gen-abi-json.sh).
    let v = json::parse(common::abi_json::ABI_JSON).unwrap_or_else(|e| panic!("abi.json: {e}"));
    assert_eq!(v.get("schema").and_then(Value::as_u64), Some(1), "schema");
    v
}

/// The constants the Rust bindings define, by C name.
fn rust_constants() -> Vec<(&'static str, u64)> {
    vec![
        ("VMMCTL_VERSION_MAJOR", sys::VMMCTL_VERSION_MAJOR.into()),
        ("VMMCTL_VERSION_MINOR", sys::VMMCTL_VERSION_MINOR.into()),
        ("VMMCTL_VERSION_PATCH", sys::VMMCTL_VERSION_PATCH.into()),
        ("VMMCTL_NAME_MAX", sys::VMMCTL_NAME_MAX.into()),
        ("VMMCTL_OPEN_INHERIT", sys::VMMCTL_OPEN_INHERIT.into()),
        (
            "VMMCTL_CREATE_PERSISTENT",
            sys::VMMCTL_CREATE_PERSISTENT.into(),
        ),
        ("VM_MAX_NAMELEN", k::VM_MAX_NAMELEN.into()),
        (
            "VMMCTL_CREATE_DESTROY_ON_CLOSE",
            k::VMMCTL_CREATE_DESTROY_ON_CLOSE.into(),
        ),
        ("VMMCTL_FLAGS_MASK", k::VMMCTL_FLAGS_MASK.into()),
        ("VMMCTL_VM_CREATE", k::VMMCTL_VM_CREATE.into()),
        ("VMMCTL_VM_DESTROY", k::VMMCTL_VM_DESTROY.into()),
    ]
}

#[test]
fn constants_match_abi_json() {
    let abi = abi();
    let want = abi
        .get("constants")
        .and_then(Value::as_object)
        .expect("constants");
    let have = rust_constants();
    for (name, value) in want {
        let v = value
            .as_u64()
            .unwrap_or_else(|| panic!("{name}: not a number"));
        match have.iter().find(|(n, _)| n == name) {
            Some((_, h)) => assert_eq!(*h, v, "{name}"),
            None => panic!("{name} is in abi.json but not in the Rust bindings"),
        }
    }
    for (name, _) in &have {
        assert!(
            want.iter().any(|(n, _)| n == name),
            "{name} is in the Rust bindings but not in abi.json"
        );
    }
    // The safe crate's names for them.
    assert_eq!(
        vmmctl::CreateFlags::PERSISTENT.bits(),
        sys::VMMCTL_CREATE_PERSISTENT
    );
    assert_eq!(vmmctl::OpenFlags::INHERIT.bits(), sys::VMMCTL_OPEN_INHERIT);
    assert_eq!(vmmctl::NAME_MAX as u32, sys::VMMCTL_NAME_MAX);
}

/// (size, offset, element type) of each field, by name.
type Fields = Vec<(&'static str, usize, usize, &'static str)>;

fn rust_struct(name: &str) -> (usize, usize, Fields) {
    match name {
        "vmmctl_vm_create" => {
            let s = k::vmmctl_vm_create::default();
            (
                size_of::<k::vmmctl_vm_create>(),
                align_of::<k::vmmctl_vm_create>(),
                vec![
                    (
                        "name",
                        offset_of!(k::vmmctl_vm_create, name),
                        size_of_val(&s.name),
                        "char[230]",
                    ),
                    (
                        "flags",
                        offset_of!(k::vmmctl_vm_create, flags),
                        size_of_val(&s.flags),
                        "uint32_t",
                    ),
                    (
                        "reserved",
                        offset_of!(k::vmmctl_vm_create, reserved),
                        size_of_val(&s.reserved),
                        "int[15]",
                    ),
                ],
            )
        }
        "vmmctl_vm_destroy" => {
            let s = k::vmmctl_vm_destroy::default();
            (
                size_of::<k::vmmctl_vm_destroy>(),
                align_of::<k::vmmctl_vm_destroy>(),
                vec![
                    (
                        "name",
                        offset_of!(k::vmmctl_vm_destroy, name),
                        size_of_val(&s.name),
                        "char[230]",
                    ),
                    (
                        "reserved",
                        offset_of!(k::vmmctl_vm_destroy, reserved),
                        size_of_val(&s.reserved),
                        "int[16]",
                    ),
                ],
            )
        }
        other => panic!("struct {other} is in abi.json but not in the Rust bindings"),
    }
}

#[test]
fn structs_match_abi_json() {
    let abi = abi();
    let structs = abi
        .get("structs")
        .and_then(Value::as_object)
        .expect("structs");
    assert_eq!(structs.len(), 2, "abi.json describes other structs");
    for (name, desc) in structs {
        let (size, align, fields) = rust_struct(name);
        assert_eq!(
            Some(size as u64),
            desc.get("size").and_then(Value::as_u64),
            "{name} size"
        );
        assert_eq!(
            Some(align as u64),
            desc.get("align").and_then(Value::as_u64),
            "{name} align"
        );
        let want = desc
            .get("fields")
            .and_then(Value::as_array)
            .expect("fields");
        assert_eq!(want.len(), fields.len(), "{name}: number of fields");
        for (w, (fname, off, fsize, ftype)) in want.iter().zip(&fields) {
            assert_eq!(
                w.get("name").and_then(Value::as_str),
                Some(*fname),
                "{name} field order"
            );
            assert_eq!(
                w.get("offset").and_then(Value::as_u64),
                Some(*off as u64),
                "{name}.{fname} offset"
            );
            assert_eq!(
                w.get("size").and_then(Value::as_u64),
                Some(*fsize as u64),
                "{name}.{fname} size"
            );
            assert_eq!(
                w.get("type").and_then(Value::as_str),
                Some(*ftype),
                "{name}.{fname} type"
            );
        }
    }
}

/// The C spelling of a Rust FFI type, as abi.json writes it.
trait CType {
    const C: &'static str;
}
macro_rules! ctype {
    ($($t:ty => $c:literal),* $(,)?) => { $(impl CType for $t { const C: &'static str = $c; })* };
}
ctype! {
    () => "void",
    u32 => "uint32_t",
    c_int => "int",
    c_ulong => "unsigned long",
    usize => "size_t",
    *const c_char => "const char *",
    *mut c_char => "char *",
    *mut c_int => "int *",
    *mut usize => "size_t *",
    *mut c_void => "void *",
    *mut vmmctl_t => "vmmctl_t *",
    *const vmmctl_t => "const vmmctl_t *",
    *mut *mut vmmctl_t => "vmmctl_t **",
}

/// (return type, parameter types) of an `unsafe extern "C" fn` pointer type.
trait Signature {
    fn c() -> (&'static str, Vec<&'static str>);
}
macro_rules! signature {
    ($($a:ident),*) => {
        impl<R: CType, $($a: CType),*> Signature for unsafe extern "C" fn($($a),*) -> R {
            fn c() -> (&'static str, Vec<&'static str>) {
                (R::C, vec![$($a::C),*])
            }
        }
    };
}
signature!();
signature!(A);
signature!(A, B);
signature!(A, B, C);
signature!(A, B, C, D);

fn sig<F: Signature>(_: F) -> (&'static str, Vec<&'static str>) {
    F::c()
}

#[test]
fn functions_match_abi_json() {
    // Header order; a function missing here, or with another signature in
    // the bindings, fails below (or does not compile).
    type H = vmmctl_t;
    let have: Vec<(&str, (&str, Vec<&str>))> = vec![
        (
            "vmmctl_version",
            sig(sys::vmmctl_version as unsafe extern "C" fn() -> _),
        ),
        (
            "vmmctl_open",
            sig(sys::vmmctl_open as unsafe extern "C" fn(_, _, _) -> _),
        ),
        (
            "vmmctl_from_fd",
            sig(sys::vmmctl_from_fd as unsafe extern "C" fn(_, _) -> _),
        ),
        (
            "vmmctl_fd",
            sig(sys::vmmctl_fd as unsafe extern "C" fn(*const H) -> _),
        ),
        (
            "vmmctl_close",
            sig(sys::vmmctl_close as unsafe extern "C" fn(_) -> _),
        ),
        (
            "vmmctl_create",
            sig(sys::vmmctl_create as unsafe extern "C" fn(_, _, _) -> _),
        ),
        (
            "vmmctl_destroy",
            sig(sys::vmmctl_destroy as unsafe extern "C" fn(_, _) -> _),
        ),
        (
            "vmmctl_list",
            sig(sys::vmmctl_list as unsafe extern "C" fn(_, _, _, _) -> _),
        ),
        (
            "vmmctl_vm_open",
            sig(sys::vmmctl_vm_open as unsafe extern "C" fn(_, _, _) -> _),
        ),
        (
            "vmmctl_check_name",
            sig(sys::vmmctl_check_name as unsafe extern "C" fn(_) -> _),
        ),
        (
            "vmmctl_ioctl",
            sig(sys::vmmctl_ioctl as unsafe extern "C" fn(_, _, _) -> _),
        ),
        (
            "vmmctl_strerror",
            sig(sys::vmmctl_strerror as unsafe extern "C" fn(_) -> _),
        ),
    ];
    let abi = abi();
    let want = abi
        .get("functions")
        .and_then(Value::as_array)
        .expect("functions");
    let want_names: Vec<&str> = want
        .iter()
        .filter_map(|f| f.get("name")?.as_str())
        .collect();
    let have_names: Vec<&str> = have.iter().map(|(n, _)| *n).collect();
    assert_eq!(have_names, want_names, "functions (header order)");
    for (f, (name, (ret, params))) in want.iter().zip(&have) {
        assert_eq!(
            f.get("return").and_then(Value::as_str),
            Some(*ret),
            "{name} return type"
        );
        let wparams: Vec<&str> = f
            .get("params")
            .and_then(Value::as_array)
            .expect("params")
            .iter()
            .filter_map(|p| p.get("type")?.as_str())
            .collect();
        assert_eq!(&wparams, params, "{name} parameter types");
    }
}

fn name_field(name: &str) -> [c_char; 230] {
    let mut buf = [0 as c_char; 230];
    for (d, s) in buf.iter_mut().zip(name.bytes()) {
        *d = s as c_char;
    }
    buf
}

/// The generated structs and command words, sent as raw kernel ioctls
/// through the library to a simulator: the sim checks the size encoded in
/// the command against the payload, so a wrong layout or value fails here.
#[test]
fn raw_ioctls_through_the_simulator() {
    let sim = common::sim();
    let ctl = sim.open().unwrap();
    let ioctl = |cmd: u32, arg: *mut c_void| {
        // SAFETY: ctl's handle is live; arg points to the command's
        // argument structure (IOCPARM_LEN(cmd) bytes), alive for the call.
        unsafe { sys::vmmctl_ioctl(ctl.as_raw(), cmd as c_ulong, arg) }
    };

    let mut create = k::vmmctl_vm_create {
        name: name_field("raw-ioctl"),
        flags: k::VMMCTL_CREATE_DESTROY_ON_CLOSE,
        ..Default::default()
    };
    assert_eq!(ioctl(k::VMMCTL_VM_CREATE, (&raw mut create).cast()), 0);
    assert_eq!(ctl.list().unwrap(), ["raw-ioctl"]);
    assert_eq!(
        ioctl(k::VMMCTL_VM_CREATE, (&raw mut create).cast()),
        17,
        "EEXIST"
    );

    // Reserved words must be zero; unknown flags are refused.
    let mut bad = k::vmmctl_vm_create {
        name: name_field("raw-bad"),
        flags: k::VMMCTL_CREATE_DESTROY_ON_CLOSE,
        ..Default::default()
    };
    bad.reserved[14] = 1;
    assert_eq!(
        ioctl(k::VMMCTL_VM_CREATE, (&raw mut bad).cast()),
        22,
        "EINVAL"
    );
    bad.reserved[14] = 0;
    bad.flags = !k::VMMCTL_FLAGS_MASK;
    assert_eq!(
        ioctl(k::VMMCTL_VM_CREATE, (&raw mut bad).cast()),
        22,
        "EINVAL"
    );

    let mut destroy = k::vmmctl_vm_destroy {
        name: name_field("raw-ioctl"),
        ..Default::default()
    };
    assert_eq!(ioctl(k::VMMCTL_VM_DESTROY, (&raw mut destroy).cast()), 0);
    assert!(ctl.list().unwrap().is_empty());
    // The kernel's answer for a missing VM is EINVAL (the library maps it to
    // ENOENT only in vmmctl_destroy, not in the raw pass-through).
    assert_eq!(ioctl(k::VMMCTL_VM_DESTROY, (&raw mut destroy).cast()), 22);
    assert_eq!(
        ctl.destroy("raw-ioctl").unwrap_err().kind(),
        std::io::ErrorKind::NotFound
    );
    // An unknown command word.
    let mut junk = [0u8; 296];
    let unknown = k::VMMCTL_VM_DESTROY + 1;
    assert_eq!(ioctl(unknown, junk.as_mut_ptr().cast()), 25, "ENOTTY");
}

#[test]
fn json_parser() {
    let v = json::parse(
        r#"{"a": [1, 2.5, -3], "b": {"c": "x\"y\u0041"}, "d": [], "e": true, "f": null}"#,
    )
    .unwrap();
    assert_eq!(v.get("a").unwrap().as_array().unwrap().len(), 3);
    assert_eq!(
        v.get("b").unwrap().get("c").unwrap().as_str(),
        Some("x\"yA")
    );
    assert_eq!(v.get("e"), Some(&Value::Bool(true)));
    assert!(json::parse("{").is_err());
    assert!(json::parse("[1,]").is_err());
    assert!(json::parse("{} x").is_err());
}

#!/bin/sh
# Usage: check-elf.sh KIND FILE...
# Checks that each FILE is an x86-64 FreeBSD ELF object of KIND:
#   exec   a FreeBSD executable: ELF type EXEC or DYN (PIE), the FreeBSD ABI
#          note (NT_FREEBSD_ABI_TAG, owner "FreeBSD") or OS/ABI FreeBSD, and
#          FreeBSD's run-time linker /libexec/ld-elf.so.1 as its interpreter
#   shlib  a FreeBSD shared object: ELF type DYN, OS/ABI FreeBSD or a
#          FreeBSD note, or (lld emits neither for -shared) FreeBSD's libc
#          among its DT_NEEDED (libc.so.7) and no glibc/musl symbol versions
#   ar     a static archive whose members are x86-64 relocatable objects
# or: check-elf.sh uses FILE SYM[|SYM...]...
#   each argument names functions of which FILE must import (reference,
#   undefined) at least one: proof that a FreeBSD code path was compiled in
# Prints one line per file; exits 1 on the first mismatch, with readelf's
# view of it.
set -eu
kind=$1
shift
if [ "$kind" = uses ]; then
	f=$1
	shift
	und=$(readelf -sW "$f" | awk '$7 == "UND" { sub(/@.*/, "", $8); print $8 }' |
	    sort -u)
	for alt in "$@"; do
		found=
		for sym in $(echo "$alt" | tr '|' ' '); do
			echo "$und" | grep -qx "$sym" && found=$sym && break
		done
		[ -n "$found" ] || {
			echo "check-elf: $f: calls none of $alt: its FreeBSD code path" \
			    "is missing" >&2
			exit 1
		}
		echo "$f: calls $found"
	done
	exit 0
fi
fail()
{
	echo "check-elf: $f: $*" >&2
	readelf -h "$f" >&2 || true
	readelf -n "$f" >&2 || true
	exit 1
}
for f in "$@"; do
	[ -f "$f" ] || fail "missing"
	hdr=$(readelf -h "$f" 2>&1) || fail "not an ELF file"
	echo "$hdr" | grep -q 'Machine:.*X86-64' || fail "not x86-64"
	osabi=$(echo "$hdr" | sed -n 's/^ *OS\/ABI: *//p' | sort -u)
	notes=$(readelf -n "$f" 2>/dev/null || true)
	freebsd=no
	case "$osabi" in *FreeBSD*) freebsd=yes ;; esac
	echo "$notes" | grep -Eq '^ *FreeBSD +0x0*4[[:space:]]+NT_VERSION' &&
	    freebsd=yes
	type=$(echo "$hdr" | sed -n 's/^ *Type: *\([A-Z]*\).*/\1/p' | sort -u)
	case $kind in
	exec)
		case $type in EXEC|DYN) ;; *) fail "type $type, not EXEC/DYN" ;; esac
		[ $freebsd = yes ] || fail "no FreeBSD OS/ABI or ABI note"
		readelf -l "$f" | grep -q '/libexec/ld-elf.so.1' ||
		    fail "interpreter is not /libexec/ld-elf.so.1"
		# NT_FREEBSD_ABI_TAG's descriptor: __FreeBSD_version, LE.
		set -- $(echo "$notes" | sed -n '/FreeBSD.*NT_VERSION/{n;s/.*description data: *//p;}' | head -1)
		abi=unknown
		[ $# -eq 4 ] && abi=$((0x$4$3$2$1))
		echo "$f: FreeBSD executable (OS/ABI $osabi," \
		    "ABI note __FreeBSD_version $abi)"
		;;
	shlib)
		[ "$type" = DYN ] || fail "type $type, not DYN"
		dyn=$(readelf -d "$f")
		if [ $freebsd = no ]; then
			echo "$dyn" | grep -q 'Shared library: \[libc\.so\.7\]' ||
			    fail "no FreeBSD OS/ABI, note or libc.so.7"
		fi
		readelf -V "$f" | grep -Eq 'GLIBC_|MUSL' &&
		    fail "versioned against glibc/musl"
		soname=$(echo "$dyn" | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p')
		echo "$f: FreeBSD shared object (OS/ABI $osabi, SONAME $soname," \
		    "needs $(echo "$dyn" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p' | tr '\n' ' '))"
		;;
	ar)
		echo "$hdr" | grep -q 'Type:.*REL' || fail "no relocatable members"
		if echo "$hdr" | grep 'Type:' | grep -vq 'REL'; then
			fail "a member is not relocatable"
		fi
		n=$(echo "$hdr" | grep -c 'Machine:')
		m=$(echo "$hdr" | grep -c 'Machine:.*X86-64')
		[ "$n" -eq "$m" ] || fail "a member is not x86-64"
		echo "$f: archive of $n x86-64 relocatable objects"
		;;
	*)
		echo "check-elf: unknown kind $kind" >&2
		exit 2
		;;
	esac
done

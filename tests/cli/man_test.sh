#! /usr/bin/env atf-sh
#
# The man pages of capi/man: mandoc finds nothing to warn about, and each
# page documents what it must (every function, subcommand, exit status).

MANDIR="$VMMCTL_SRC/capi/man"

# mandoc -T lint prints nothing and exits 0 when there is no warning.
lint()
{
	atf_check -s exit:0 -o empty -e empty mandoc -T lint -W warning \
	    "$MANDIR/$1"
}

# The page rendered as text, without the overstrike.
render()
{
	MANWIDTH=200 mandoc -T ascii -O width=200 "$MANDIR/$1" | col -b
}

vmmctl_3_head()
{
	atf_set descr "vmmctl.3 passes mandoc -T lint -W warning"
	atf_set require.progs mandoc
}
vmmctl_3_body()
{
	lint vmmctl.3
}

vmmctl_1_head()
{
	atf_set descr "vmmctl.1 passes mandoc -T lint -W warning"
	atf_set require.progs mandoc
}
vmmctl_1_body()
{
	lint vmmctl.1
}

vmmctl_sim_1_head()
{
	atf_set descr "vmmctl-sim.1 passes mandoc -T lint -W warning"
	atf_set require.progs mandoc
}
vmmctl_sim_1_body()
{
	lint vmmctl-sim.1
}

api_documented_head()
{
	atf_set descr "vmmctl.3 names every function, constant and errno of vmmctl.h"
	atf_set require.progs "mandoc col"
}
api_documented_body()
{
	h=$VMMCTL_SRC/capi/include/vmmctl.h
	fns=$(sed -n 's/^[^ #*].*[[:space:]*]\(vmmctl_[a-z_]*\)(.*/\1/p' "$h" | sort -u)
	[ -n "$fns" ] || atf_fail "no functions found in $h"
	for f in $fns; do
		grep -q "^\.Fn $f\>" "$MANDIR/vmmctl.3" ||
		    atf_fail "vmmctl.3 has no .Fn $f"
		grep -q "^\.Nm $f\>" "$MANDIR/vmmctl.3" ||
		    atf_fail "vmmctl.3 lists no .Nm $f in NAME"
	done
	consts=$(sed -n 's/^#define[[:space:]]*\(VMMCTL_[A-Z_]*\)[[:space:]].*/\1/p' "$h")
	for c in $consts; do
		grep -q "$c" "$MANDIR/vmmctl.3" || atf_fail "vmmctl.3 lacks $c"
	done
	# Every errno the header documents has an entry under ERRORS.
	errs=$(grep -ow 'E[A-Z]\{3,\}' "$h" | sort -u)
	for e in $errs; do
		sed -n '/^\.Sh ERRORS/,/^\.Sh /p' "$MANDIR/vmmctl.3" |
		    grep -q "^\.It Bq Er $e\>" ||
		    atf_fail "vmmctl.3 ERRORS lacks $e"
	done
}

cli_documented_head()
{
	atf_set descr "vmmctl.1 documents every subcommand, VMMCTL_FD and exit status"
	atf_set require.progs "mandoc col"
}
cli_documented_body()
{
	render vmmctl.1 >page.txt
	for w in create destroy list --json run version VMMCTL_FD VMMCTL_ROOT \
	    "EXIT STATUS" ENVIRONMENT EXAMPLES 64 69 126 127 128; do
		grep -q -- "$w" page.txt || atf_fail "vmmctl.1 lacks '$w'"
	done
}

sim_documented_head()
{
	atf_set descr "vmmctl-sim.1 documents every option"
	atf_set require.progs "mandoc col"
}
sim_documented_body()
{
	render vmmctl-sim.1 >page.txt
	for w in --root --fuse --jail --uid-limit --pidfile -d --help SIGTERM \
	    vmmctl_sim_proto.h jails/ vmm/ fusermount3 /dev/fuse; do
		grep -q -- "$w" page.txt || atf_fail "vmmctl-sim.1 lacks '$w'"
	done
}

atf_init_test_cases()
{
	atf_add_test_case vmmctl_3
	atf_add_test_case vmmctl_1
	atf_add_test_case vmmctl_sim_1
	atf_add_test_case api_documented
	atf_add_test_case cli_documented
	atf_add_test_case sim_documented
}

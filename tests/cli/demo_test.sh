#! /usr/bin/env atf-sh
#
# "make demo": capi/cli/demo.sh runs against the build, exits 0, and its
# transcript shows every step (the bindings' demos included).

demo_head()
{
	atf_set descr "capi/cli/demo.sh exits 0 and shows the main job"
	atf_set timeout 600
}
demo_body()
{
	# Its own short root, so a "make demo" running meanwhile is unaffected.
	root=$(mktemp -u /tmp/vmd.XXXXXX)
	echo "$root" >demo.root
	VMMCTL_DEMO_ROOT=$root sh "$VMMCTL_SRC/capi/cli/demo.sh" \
	    "$VMMCTL_SRC" "$VMMCTL_BUILD" >demo.out 2>&1
	rc=$?
	cat demo.out
	[ "$rc" -eq 0 ] || atf_fail "demo.sh exited $rc"
	[ ! -e "$root" ] || atf_fail "demo.sh left $root behind"
	while IFS= read -r step; do
		grep -qF -- "$step" demo.out || atf_fail "no '$step' in the transcript"
	done <<'EOF_STEPS'
$ vmmctl-sim --root
$ vmmctl create web0 db0
$ vmmctl run scratch0 -- sh -c
scratch0
# The command has exited: scratch0 is gone.
$ vmmctl run doomed0
[exit status 137]
$ vmmctl list --json
["db0", "web0"]
vmmctl: create web0: VM name already in use
vmmctl: destroy nosuch: No such VM
$ vmmctl destroy web0 db0
==> stopping the simulator
==> demo done
EOF_STEPS
	for d in "$VMMCTL_SRC"/bindings/*/demo.sh; do
		[ -f "$d" ] || continue
		step="==> ${d#"$VMMCTL_SRC"/}"
		grep -qF -- "$step" demo.out || atf_fail "no '$step' in the transcript"
	done
}
demo_cleanup()
{
	# demo.sh stops its sim on any exit; a timeout kill leaves the root.
	if [ -f demo.root ]; then
		root=$(cat demo.root)
		case "$root" in
		/tmp/vmd.*) rm -rf "$root" ;;
		esac
	fi
}

atf_init_test_cases()
{
	atf_add_test_case demo cleanup
}

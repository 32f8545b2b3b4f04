#! /usr/bin/env atf-sh
#
# The makefiles: the fragments (*/Makefile.inc, tests/*/Makefile.inc) give
# the same rules whatever order they are included in.

# make's database (-p) with the fragments in ORDER, nothing built (-q).
database()
{
	env -i PATH="$PATH" HOME="$PWD" make -C "$VMMCTL_SRC" -pq \
	    BUILD="$PWD/b" FRAGMENT_ORDER="$1" no-such-target >"db.$1" \
	    2>"err.$1"
	grep -q "No rule to make target 'no-such-target'" "err.$1" ||
	    atf_fail "make -pq ($1): $(cat "err.$1")"
}

# Every rule of the database, its prerequisites sorted (within each side
# of "|"), followed by its recipe; the rules sorted.
normalize()
{
	python3 - "$1" <<'PY'
import sys
text = open(sys.argv[1]).read()
files = text.split("\n# Files\n", 1)[1]
files = files.split("\n# files hash-table stats", 1)[0]
rules = []
for block in files.split("\n\n"):
    lines = [l for l in block.split("\n") if l and not l.startswith("#")]
    if not lines:
        continue
    target, _, deps = lines[0].partition(":")
    sides = [" ".join(sorted(s.split())) for s in deps.lstrip(":").split("|")]
    rules.append("\n".join([target + ": " + " | ".join(sides)] + lines[1:]))
print("\n\n".join(sorted(rules)))
PY
}

atf_test_case include_order
include_order_head()
{
	atf_set descr "The fragments included in reverse order give the same" \
	    "rules, prerequisites and recipes as in sorted order"
	atf_set require.progs "make python3"
}
include_order_body()
{
	: "${VMMCTL_SRC:?}"
	database sorted
	database reverse
	# The orders did differ.
	grep '^FRAGMENTS :=' db.sorted >f.sorted
	grep '^FRAGMENTS :=' db.reverse >f.reverse
	atf_check -s exit:1 -o ignore cmp f.sorted f.reverse
	normalize db.sorted >rules.sorted
	normalize db.reverse >rules.reverse
	# Not vacuous: the rules include the test programs'.
	atf_check -o ignore grep -F "$PWD/b/tests/kern/kern_create_test: " \
	    rules.sorted
	atf_check -o ignore grep -F "$PWD/b/tests/capi/capi_fdcheck: " \
	    rules.sorted
	atf_check -o empty diff rules.sorted rules.reverse
}

atf_init_test_cases()
{
	atf_add_test_case include_order
}

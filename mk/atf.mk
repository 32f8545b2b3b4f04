# The test programs' rules, written as FreeBSD's bsd.test.mk writes them:
# each suite's tests/<area>/Makefile.inc names its programs and what they
# link, and one macro per kind of program writes the rules.
#
#   $(call atf_tests_c,AREA,PROGS,OBJS,LIBADD)
#	ATF-C programs, one per tests/AREA/PROG.c (or the source named by
#	SRC.PROG, set before the call: a second build of one source), each
#	linked with OBJS, then LIBADD, then libatf-c.
#	OBJS: names; NAME.o is compiled from tests/AREA/NAME.c if there is
#	one, else tests/lib/NAME.c, else the fragment has its own rule for
#	$(ATF_TOBJ)/AREA/NAME.o (e.g. another build of a source).
#	LIBADD: names, as FreeBSD's LIBADD: LIB_<name> of mk/libnames.mk
#	(also a prerequisite) and then LIBS_<name> (what it needs in turn,
#	set by the fragment that builds it), else -l<name>.
#   $(call atf_tests_sh,AREA,PROGS)
#	atf-sh programs, one per tests/AREA/PROG.sh, copied as PROG.
#   $(call test_progs_c,AREA,PROGS,OBJS,LIBADD)
#	C programs the tests run (bsd.test.mk's PROGS), as atf_tests_c
#	without libatf-c.
#
# The programs land in $(BUILD)/tests/AREA (Kyua's --build-root), and
# "make AREA-tests" builds them; a fragment adds whatever else its suite
# needs as prerequisites of AREA-tests, and "make test" builds every
# AREA-tests.  Objects go under $(BUILD)/obj/tests and record the headers
# they include (-MMD), so no fragment lists headers; ATF_COMPILE is the
# command, for a fragment's own object rules.  ATF_C_PROGS collects every
# ATF-C program (for "make valgrind": use it in recipes only, where it is
# complete).

ATF_TDIR	= $(BUILD)/tests
ATF_TOBJ	= $(BUILD)/obj/tests
ATF_C_PROGS	:=
ATF_COMPILE	= $(CC) $(ALL_CFLAGS) -I$(SRCROOT)/tests/lib -MMD -MP -c -o $@ $<
CLEAN_DIRS	+= $(ATF_TOBJ)/lib

$(ATF_TOBJ)/%.o: $(SRCROOT)/tests/%.c
	@mkdir -p $(@D)
	$(ATF_COMPILE)

# Every test object's recorded headers (tests/fuzz's too).
-include $(wildcard $(ATF_TOBJ)/*/*.d $(ATF_TOBJ)/*/*/*.d)

atf_has		= $(wildcard $(SRCROOT)/tests/$(1)/$(2).c)
atf_dir		= $(if $(call atf_has,$(1),$(2)),$(1),$(if $(call atf_has,lib,$(2)),lib,$(1)))
atf_objs	= $(foreach o,$(2),$(ATF_TOBJ)/$(call atf_dir,$(1),$(o))/$(o).o)
atf_libdeps	= $(foreach l,$(1),$(LIB_$(l)))
atf_libflags	= $(foreach l,$(1),$(or $(LIB_$(l)),-l$(l)) $(LIBS_$(l)))
atf_progs	= $(addprefix $(ATF_TDIR)/$(1)/,$(2))

define atf_area
.PHONY: $(1)-tests
$(1)-tests: $(2)
TEST_PREP	+= $(1)-tests
CLEAN_DIRS	+= $(ATF_TDIR)/$(1) $(ATF_TOBJ)/$(1)
endef

# AREA, PROG, its own object, OBJS (paths), LIBADD, what to link last.  The
# library flags are expanded when the recipe runs: LIBS_<name> may be set
# by a fragment included later.
define atf_link
$(ATF_TDIR)/$(1)/$(2): $(3) $(4) $(call atf_libdeps,$(5))
	@mkdir -p $$(@D)
	$$(CC) $$(ALL_LDFLAGS) -o $$@ $(3) $(4) $$(call atf_libflags,$(5)) $(6)
endef

atf_main	= $(ATF_TOBJ)/$(1)/$(basename $(or $(SRC.$(2)),$(2))).o
atf_link_one	= $(eval $(call atf_link,$(1),$(2),$(call atf_main,$(1),$(2)),$(3),$(4),$(5)))
atf_link_all	= $(foreach p,$(2), \
		  $(call atf_link_one,$(1),$(p),$(call atf_objs,$(1),$(3)),$(4),$(5))) \
		  $(eval $(call atf_area,$(1),$(call atf_progs,$(1),$(2))))

atf_tests_c	= $(call atf_link_all,$(1),$(2),$(3),$(4),-latf-c) \
		  $(eval ATF_C_PROGS += $(call atf_progs,$(1),$(2)))
test_progs_c	= $(call atf_link_all,$(1),$(2),$(3),$(4),)

define atf_tests_sh_rules
$(call atf_progs,$(1),$(2)): $(ATF_TDIR)/$(1)/%: $(SRCROOT)/tests/$(1)/%.sh
	@mkdir -p $$(@D)
	cp $$< $$@.tmp && chmod 0755 $$@.tmp && mv $$@.tmp $$@
$(call atf_area,$(1),$(call atf_progs,$(1),$(2)))
endef
atf_tests_sh	= $(eval $(call atf_tests_sh_rules,$(1),$(2)))

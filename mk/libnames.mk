# Where this build's libraries and programs are, for the fragments that use
# another's, as FreeBSD's src.libnames.mk names LIBUTIL etc.: here, not in
# the fragment that builds each one, so that no fragment depends on being
# included after another.  LIB_<name> is what LIBADD=<name> links
# (mk/atf.mk).
LIB_kern	= $(BUILD)/lib/libkern.a
LIB_vmmctl	= $(BUILD)/lib/libvmmctl.a
LIB_vmmctl_sim	= $(BUILD)/lib/libvmmctl_sim.a
PROG_vmmctl	= $(BUILD)/bin/vmmctl
PROG_vmmctl_sim	= $(BUILD)/bin/vmmctl-sim

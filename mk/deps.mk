# Base tools from Debian: Kyua and ATF.  Quick when nothing is missing:
# each package is installed only if its file is absent.  Other areas add
# their own deps-* targets the same way, through mk/apt.sh.

DEPS_TARGETS	+= deps-base
APT		:= sh $(SRCROOT)/mk/apt.sh

.PHONY: deps-base
deps-base:
	@$(APT) /usr/bin/kyua:kyua /usr/include/atf-c.h:libatf-dev \
	    /usr/bin/atf-sh:atf-sh

# "make bindings" writes the bundled C copies of every binding package
# (mk/bundle.sh says which file goes where and why).
BINDINGS_TARGETS += bundle
.PHONY: bundle
bundle:
	sh $(SRCROOT)/mk/bundle.sh $(SRCROOT)

# The drift check is tests/bundle.

# "make bindings" writes the bundled C copies of every binding package
# (mk/bundle.sh says which file goes where and why).
BINDINGS_TARGETS += bundle
.PHONY: bundle
bundle:
	sh $(SRCROOT)/mk/bundle.sh $(SRCROOT)

# tests/bundle: the drift check.
$(BUILD)/tests/bundle/bundle_test.sh: $(SRCROOT)/tests/bundle/bundle_test.sh
	@mkdir -p $(@D)
	cp $< $@
	chmod +x $@
TEST_PREP	+= $(BUILD)/tests/bundle/bundle_test.sh

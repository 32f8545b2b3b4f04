//go:build vmmctl_pkgconfig || vmmctl_external

package vmmctl

// The build tags of earlier versions fail loudly instead of being ignored:
// vmmctl_pkgconfig is now vmmctl_system (link_system.go), and
// vmmctl_external (the tree's header, CGO_LDFLAGS naming a library) has no
// use since the C is bundled: pass extra compiler flags in CGO_CFLAGS.
var _ = vmmctl_tags_vmmctl_pkgconfig_and_vmmctl_external_are_gone_use_vmmctl_system

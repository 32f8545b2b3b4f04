module vmmctl.dev/vmmctl

go 1.24

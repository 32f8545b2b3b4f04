module vmmctl.dev/conformance-driver

go 1.24

require vmmctl.dev/vmmctl v0.0.0

replace vmmctl.dev/vmmctl => ../../../../bindings/go

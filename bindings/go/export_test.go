package vmmctl

// For the external tests (package vmmctl_test), as golang.org/x/sys/unix
// does: what abicheck.go sees through cgo.
var (
	ABIConstants = abiConstants
	ABIStructs   = abiStructs
	ABIFuncs     = abiFuncs
	ABILinked    = abiLinked
	RawCheckName = rawCheckName
)

package vmmctltest_test

import (
	"errors"
	"fmt"
	"io/fs"

	"vmmctl.dev/vmmctl"
	"vmmctl.dev/vmmctl/vmmctltest"
)

// In a test, vmmctltest.Start(t, vmmctltest.Jail("j1")) does what New does
// here and stops the simulator when the test ends; an example has no
// testing.TB, so it calls New and Close itself.
func Example() {
	sim, err := vmmctltest.New(vmmctltest.Jail("j1"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer sim.Close()

	host, err := sim.Open() // sim.Root() is the host's /dev
	if err != nil {
		fmt.Println(err)
		return
	}
	defer host.Close()
	jailed, err := vmmctl.Open(sim.JailRoot("j1")) // jail j1's /dev
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := jailed.Create("in-j1", 0); err != nil { // scoped
		fmt.Println(err)
	}
	if err := host.Create("db", vmmctl.Persistent); err != nil {
		fmt.Println(err)
	}
	names, _ := host.List()
	fmt.Println("host sees:", names)
	names, _ = jailed.List()
	fmt.Println("j1 sees:", names)
	err = jailed.Create("db", 0) // one namespace
	fmt.Println("db taken:", errors.Is(err, fs.ErrExist))

	jailed.Close() // the last reference: its scoped VM goes
	names, _ = host.List()
	fmt.Println("after j1's Close:", names)
	// Output:
	// host sees: [db in-j1]
	// j1 sees: [in-j1]
	// db taken: true
	// after j1's Close: [db]
}

package vmmctl_test

import (
	"errors"
	"fmt"
	"io/fs"

	"vmmctl.dev/vmmctl"
	"vmmctl.dev/vmmctl/vmmctltest"
)

// exampleRoot starts a private simulator for an example and returns its
// root (what /dev is on FreeBSD) and a function that stops it.  In a test,
// vmmctltest.Start(t) does both.
func exampleRoot() (string, func()) {
	s, err := vmmctltest.New()
	if err != nil {
		panic(err)
	}
	return s.Root(), func() { s.Close() }
}

func Example() {
	root, stop := exampleRoot() // "" would mean $VMMCTL_ROOT, else /dev
	defer stop()

	c, err := vmmctl.Open(root)
	if err != nil {
		fmt.Println(err)
		return
	}
	// Scoped: lives as long as the descriptor.  Persistent: outlives it.
	if err := c.Create("web", 0); err != nil {
		fmt.Println(err)
	}
	if err := c.Create("db", vmmctl.Persistent); err != nil {
		fmt.Println(err)
	}
	names, _ := c.List()
	fmt.Println("visible:", names)

	err = c.Create("web", 0)
	fmt.Println("again:", errors.Is(err, fs.ErrExist))

	c.Close() // the last reference: "web" goes, "db" stays

	c2, err := vmmctl.Open(root)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c2.Close()
	names, _ = c2.List()
	fmt.Println("after Close:", names)
	fmt.Println("destroy db:", c2.Destroy("db"))
	err = c2.Destroy("db")
	fmt.Println("destroy db again:", errors.Is(err, fs.ErrNotExist))
	// Output:
	// visible: [db web]
	// again: true
	// after Close: [db]
	// destroy db: <nil>
	// destroy db again: true
}

func ExampleCheckName() {
	fmt.Println(vmmctl.CheckName("vm0"))
	fmt.Println(vmmctl.CheckName("a/b") != nil)
	// Output:
	// <nil>
	// true
}

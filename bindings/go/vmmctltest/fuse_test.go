package vmmctltest_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"vmmctl.dev/vmmctl/vmmctltest"
)

// TestFuse: without -tags vmmctl_fuse, Fuse() is ErrUnsupported; with it
// (and FUSE usable here), the root is a mount in which vmmctl is a file,
// and the library works through it: the scoped VM goes with Close.
func TestFuse(t *testing.T) {
	sim, err := vmmctltest.New(vmmctltest.Fuse(), vmmctltest.Jail("j1"))
	if !fuseBuilt {
		if !errors.Is(err, errors.ErrUnsupported) {
			t.Fatalf("Fuse() without vmmctl_fuse: %v, want ErrUnsupported", err)
		}
		return
	}
	if err != nil {
		t.Fatalf("Fuse(): %v", err)
	}
	defer sim.Close()
	for _, root := range []string{sim.Root(), sim.JailRoot("j1")} {
		st, err := os.Stat(filepath.Join(root, "vmmctl"))
		if err != nil || !st.Mode().IsRegular() {
			t.Fatalf("%s/vmmctl: %v, %v; want a regular file", root, st, err)
		}
	}
	c, err := sim.Open()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Create("f1", 0); err != nil {
		t.Fatal(err)
	}
	if err := c.Create("f1", 0); !errors.Is(err, fs.ErrExist) {
		t.Fatalf("Create again: %v, want fs.ErrExist", err)
	}
	f, err := c.VMOpen("f1")
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	c.Close()
	c2, err := sim.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	if err := c2.Destroy("f1"); !errors.Is(err, syscall.ENOENT) {
		t.Fatalf("the scoped VM outlived its descriptor: Destroy = %v", err)
	}
}

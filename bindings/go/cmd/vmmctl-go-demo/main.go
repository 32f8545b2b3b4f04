// Command vmmctl-go-demo shows the Go binding at work on a running
// simulator (or /dev on FreeBSD): it creates a descriptor-scoped and a
// persistent VM, lists, destroys, and closes the descriptor to show the
// scoped VM go while the persistent one stays, then removes that one too.
//
// Usage: vmmctl-go-demo [-root DIR] [-prefix NAME]
//
// The root defaults to $VMMCTL_ROOT, else /dev.  It leaves no VM of its own
// behind, and exits non-zero when anything is not as expected.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"vmmctl.dev/vmmctl"
)

func main() {
	root := flag.String("root", "", "the directory holding vmmctl ($VMMCTL_ROOT, else /dev)")
	prefix := flag.String("prefix", fmt.Sprintf("go-demo-%d", os.Getpid()),
		"prefix of the VM names")
	flag.Parse()
	if err := run(*root, *prefix); err != nil {
		fmt.Fprintln(os.Stderr, "vmmctl-go-demo:", err)
		os.Exit(1)
	}
}

func say(format string, a ...any) { fmt.Printf("go: "+format+"\n", a...) }

func mine(names []string, prefix string) []string {
	var out []string
	for _, n := range names {
		if strings.HasPrefix(n, prefix) {
			out = append(out, n)
		}
	}
	return out
}

func run(root, prefix string) (err error) {
	v := vmmctl.LibraryVersion()
	say("libvmmctl %v (header %d.%d.%d)", v, vmmctl.VersionMajor,
		vmmctl.VersionMinor, vmmctl.VersionPatch)
	scoped, persistent := prefix+"-scoped", prefix+"-persistent"

	c, err := vmmctl.Open(root)
	if err != nil {
		return err
	}
	defer c.Close()
	// On failure, leave nothing behind (scoped VMs go with the descriptor).
	defer func() {
		if err == nil {
			return
		}
		if cc, oerr := vmmctl.Open(root); oerr == nil {
			if cc.Destroy(persistent) == nil {
				say("cleanup: destroyed %s", persistent)
			}
			cc.Close()
		}
	}()

	if err := c.Create(scoped, 0); err != nil {
		return err
	}
	say("created %s (descriptor-scoped)", scoped)
	if err := c.Create(persistent, vmmctl.Persistent); err != nil {
		return err
	}
	say("created %s (persistent)", persistent)
	names, err := c.List()
	if err != nil {
		return err
	}
	say("list: %s", strings.Join(mine(names, prefix), " "))

	err = c.Create(scoped, 0)
	if !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("creating %s twice: %v, want EEXIST", scoped, err)
	}
	say("create %s again: %v", scoped, err)

	tmp := prefix + "-tmp"
	if err := c.Create(tmp, 0); err != nil {
		return err
	}
	if err := c.Destroy(tmp); err != nil {
		return err
	}
	say("created and destroyed %s", tmp)
	err = c.Destroy(tmp)
	if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("destroying %s twice: %v, want ENOENT", tmp, err)
	}
	say("destroy %s again: %v", tmp, err)

	if err := c.Close(); err != nil {
		return err
	}
	say("closed the descriptor")

	c2, err := vmmctl.Open(root)
	if err != nil {
		return err
	}
	defer c2.Close()
	names, err = c2.List()
	if err != nil {
		return err
	}
	left := mine(names, prefix)
	say("list from a new descriptor: %s", strings.Join(left, " "))
	if len(left) != 1 || left[0] != persistent {
		return fmt.Errorf("after Close: %q, want only %s", left, persistent)
	}
	say("%s is gone with its descriptor; %s stays", scoped, persistent)
	if err := c2.Destroy(persistent); err != nil {
		return err
	}
	say("destroyed %s", persistent)
	return nil
}

package vmmctl_test

import (
	"errors"
	"strings"
	"syscall"
	"testing"

	"vmmctl.dev/vmmctl"
)

// FuzzCheckName checks that the Go wrapper agrees with the C library on
// every input.  The rule: for a string without NUL bytes, CheckName's errno
// (0 for nil) is exactly vmmctl_check_name's on the same bytes; a string
// with a NUL byte cannot be passed to C whole (C would see only the part
// before the NUL, a different name), so Go rejects it with EINVAL without
// calling C.
func FuzzCheckName(f *testing.F) {
	for _, s := range []string{"", ".", "..", "...", "a/b", "/", "a/",
		"vm0", "a\x00b", "\x00", ".\x00", "a\x00/", "\xff\xfe", "é",
		strings.Repeat("a", vmmctl.NameMax),
		strings.Repeat("a", vmmctl.NameMax+1),
		strings.Repeat("a", vmmctl.NameMax) + "\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		err := vmmctl.CheckName(s)
		var got syscall.Errno
		if err != nil {
			var e *vmmctl.Error
			if !errors.As(err, &e) {
				t.Fatalf("CheckName(%q): %v (%T) is not a *vmmctl.Error",
					s, err, err)
			}
			got = e.Err
		}
		if strings.IndexByte(s, 0) >= 0 {
			if got != syscall.EINVAL {
				t.Fatalf("CheckName(%q) with a NUL byte: %v, want EINVAL",
					s, err)
			}
			return
		}
		want := vmmctl.RawCheckName([]byte(s))
		if int(got) != want {
			t.Fatalf("CheckName(%q): Go errno %d, C vmmctl_check_name %d",
				s, int(got), want)
		}
	})
}

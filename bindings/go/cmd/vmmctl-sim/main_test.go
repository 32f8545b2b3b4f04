package main

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"vmmctl.dev/vmmctl"
)

// The test binary is the daemon too: with asMainEnv set it runs main
// (the -d child re-executes it, and inherits the variable).
const asMainEnv = "VMMCTL_SIM_GO_TEST_AS_MAIN"

// cDaemonEnv names the C daemon to compare with.  The tree's tests set it;
// a copy of the module alone has no C daemon, and skips the comparisons.
const cDaemonEnv = "VMMCTL_SIM_C"

func TestMain(m *testing.M) {
	if os.Getenv(asMainEnv) == "1" {
		main()
	}
	os.Exit(m.Run())
}

// daemon returns the path of the Go daemon (this test binary) and the
// environment that makes it one.
func daemon(t *testing.T) (string, []string) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return exe, append(os.Environ(), asMainEnv+"=1")
}

type result struct {
	stdout, stderr string
	status         int
}

// run runs a daemon to its end, named "vmmctl-sim" in its argv[0], with a
// bound on the time: none of these runs should serve.
func run(t *testing.T, path string, env []string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Args[0] = "vmmctl-sim"
	cmd.Env = env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("vmmctl-sim %q did not exit", args)
	}
	var ee *exec.ExitError
	status := 0
	switch {
	case errors.As(err, &ee):
		status = ee.ExitCode()
	case err != nil:
		t.Fatal(err)
	}
	return result{stdout.String(), stderr.String(), status}
}

func shortDir(t *testing.T) string {
	t.Helper()
	d, err := os.MkdirTemp("/tmp", "vs")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(d) })
	return d
}

// optionCases are argument vectors that end without serving.
func optionCases(dir string) [][]string {
	file := filepath.Join(dir, "file")
	long := "/tmp/" + strings.Repeat("x", 120)
	return [][]string{
		{}, {"--help"}, {"-h"}, {"--he"}, {"-dh"}, {"--bogus"},
		{"--bogus=3"}, {"--=x"}, {"--root"}, {"--root="}, {"--help=1"},
		{"--daemon=yes"}, {"-x"}, {"-dx"}, {"-root", "x"}, {"foo", "--help"},
		{"--root", dir, "foo"}, {"--root", dir, "--", "--help"},
		{"--root", dir, "-"}, {"-"},
		{"--uid-limit", "abc", "--help"}, {"--uid-limit", " 5", "--help"},
		{"--uid-limit=-5"}, {"--uid-limit", " -0", "--help"},
		{"--uid-limit", " -1"}, {"--uid-limit", "4294967296"},
		{"--uid-limit", "4294967295", "--help"},
		{"--uid-limit", "99999999999999999999999"}, {"--uid-limit", "+7", "-h"},
		{"--uid-limit", ""}, {"--uid-limit", "0x10"}, {"--uid-limit", "5 "},
		{"--uid-lim", "3", "--pid", "p", "--h"},
		{"--fu", "--help"}, {"--fuse=1"}, {"--root", dir, "--f=x"},
		{"--root", dir, "--jail", "vmm"}, {"--root", dir, "--jail", ""},
		{"--root", dir, "--jail", "a/vmmctl"}, {"--ro", dir, "--j", "/"},
		{"--root", file}, {"--root", file, "-d"}, {"--root", long},
		{"--root", dir, "--jail", strings.Repeat("j", 120)},
		{"--root", dir, "--pidfile", filepath.Join(dir, "no", "pid")},
		{"--root", dir, "--pidfile", filepath.Join(dir, "no", "pid"), "-d"},
	}
}

func prepare(t *testing.T) string {
	dir := shortDir(t)
	if err := os.WriteFile(filepath.Join(dir, "file"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestOptionsLikeC: for every vector, the Go daemon prints what the C one
// prints, on the same stream, and exits with the same status.
func TestOptionsLikeC(t *testing.T) {
	cbin := os.Getenv(cDaemonEnv)
	if cbin == "" {
		t.Skip("no C daemon to compare with ($" + cDaemonEnv + " unset)")
	}
	gobin, env := daemon(t)
	dir := prepare(t)
	for _, args := range optionCases(dir) {
		want := run(t, cbin, os.Environ(), args...)
		got := run(t, gobin, env, args...)
		if got != want {
			t.Errorf("vmmctl-sim %q:\n C: status %d, stdout %q, stderr %q\nGo: "+
				"status %d, stdout %q, stderr %q", args, want.status,
				want.stdout, want.stderr, got.status, got.stdout, got.stderr)
		}
	}
	// Nothing served, nothing left: the root of the pid file cases is
	// back to what it was.
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("left in %s: %v", dir, entries)
	}
}

// TestOptions checks what the comparison cannot show alone: the usage
// text, and the statuses.
func TestOptions(t *testing.T) {
	gobin, env := daemon(t)
	dir := prepare(t)
	for _, c := range []struct {
		args   []string
		status int
		stdout bool
		stderr string
	}{
		{[]string{"--help"}, 0, true, ""},
		{[]string{"--root", dir, "-h", "--bogus"}, 0, true, ""},
		{[]string{}, 64, false, "vmmctl-sim: --root is required\nusage:"},
		{[]string{"--bogus"}, 64, false, "vmmctl-sim: unrecognized option '--bogus'\nusage:"},
		{[]string{"--uid-limit", "-1"}, 64, false, "vmmctl-sim: bad --uid-limit -1\nusage:"},
		{[]string{"--root", dir, "x"}, 64, false, "usage:"},
		{[]string{"--root", dir, "--jail", "vmm"}, 64, false, "vmmctl-sim: jail vmm: "},
		{[]string{"--root", filepath.Join(dir, "file")}, 1, false, "vmmctl-sim: "},
	} {
		r := run(t, gobin, env, c.args...)
		if r.status != c.status || (r.stdout == usageText) != c.stdout ||
			!strings.HasPrefix(r.stderr, c.stderr) {
			t.Errorf("vmmctl-sim %q: status %d, stdout %q, stderr %q", c.args,
				r.status, r.stdout, r.stderr)
		}
	}
	if !strings.Contains(usageText, "--uid-limit N") {
		t.Error("the usage text lost an option")
	}
}

func waitSocket(t *testing.T, path string, done <-chan error) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); ; {
		if st, err := os.Stat(path); err == nil && st.Mode()&fs.ModeSocket != 0 {
			return
		}
		select {
		case err := <-done:
			t.Fatalf("the daemon exited: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("no socket %s", path)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func readPid(t *testing.T, path string) int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSuffix(string(b), "\n"))
	if err != nil || !strings.HasSuffix(string(b), "\n") {
		t.Fatalf("pid file %q", b)
	}
	return pid
}

// TestServe: the daemon in the foreground serves the root and its jails
// with the limit, writes the pid file, and on SIGTERM (and SIGINT) exits 0
// removing the root it made and the pid file.
func TestServe(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		gobin, env := daemon(t)
		dir := shortDir(t)
		root, pidfile := filepath.Join(dir, "r"), filepath.Join(dir, "pid")
		cmd := exec.Command(gobin, "--root", root, "--jail", "j1",
			"--jail=a/b", "--uid-limit", "1", "--pidfile", pidfile)
		cmd.Env = env
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		waitSocket(t, filepath.Join(root, "jails", "a", "b", "vmmctl"), done)
		for deadline := time.Now().Add(30 * time.Second); ; {
			if _, err := os.Stat(pidfile); err == nil {
				break
			} else if time.Now().After(deadline) {
				t.Fatal(err)
			}
			time.Sleep(10 * time.Millisecond)
		}
		if pid := readPid(t, pidfile); pid != cmd.Process.Pid {
			t.Errorf("pid file says %d, the daemon is %d", pid, cmd.Process.Pid)
		}
		c, err := vmmctl.Open(filepath.Join(root, "jails", "j1"))
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Create("one", 0); err != nil {
			t.Fatal(err)
		}
		if err := c.Create("two", 0); !errors.Is(err, syscall.ENOMEM) {
			t.Errorf("past --uid-limit 1: %v, want ENOMEM", err)
		}
		cmd.Process.Signal(sig)
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("after %v: %v (%s)", sig, err, stderr.String())
			}
		case <-time.After(30 * time.Second):
			cmd.Process.Kill()
			t.Fatalf("the daemon ignored %v", sig)
		}
		c.Close()
		for _, p := range []string{root, pidfile} {
			if _, err := os.Lstat(p); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("after %v: %s left behind (%v)", sig, p, err)
			}
		}
	}
}

// TestDaemon: -d returns once the sockets listen (so the socket is there
// when it returns), with the standard descriptors let go (else Output
// would wait for the daemon), in a session of its own; SIGTERM ends it.
func TestDaemon(t *testing.T) {
	gobin, env := daemon(t)
	dir := shortDir(t)
	root, pidfile := filepath.Join(dir, "r"), filepath.Join(dir, "pid")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, gobin, "-d", "--root", root,
		"--pidfile", pidfile)
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("vmmctl-sim -d: %v: %s", err, out)
	}
	if len(out) != 0 {
		t.Errorf("vmmctl-sim -d printed %q", out)
	}
	pid := readPid(t, pidfile)
	t.Cleanup(func() { syscall.Kill(pid, syscall.SIGKILL) })
	if pid == cmd.Process.Pid {
		t.Fatal("the daemon is the process that returned")
	}
	if sid, err := getsid(pid); err != nil || sid != pid {
		t.Errorf("the daemon's session is %d (%v), want its own", sid, err)
	}
	c, err := vmmctl.Open(root) // no waiting: it listens already
	if err != nil {
		t.Fatalf("Open right after -d returned: %v", err)
	}
	if err := c.Create("d", 0); err != nil {
		t.Fatal(err)
	}
	c.Close()
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(30 * time.Second); ; {
		_, err := os.Lstat(root)
		if syscall.Kill(pid, 0) != nil && errors.Is(err, fs.ErrNotExist) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the daemon did not end on SIGTERM, or left its root")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if _, err := os.Lstat(pidfile); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("pid file left behind: %v", err)
	}
}

// TestDaemonFails: with -d, a simulator that cannot listen reports it on
// the caller's stderr, and the caller exits 1.
func TestDaemonFails(t *testing.T) {
	gobin, env := daemon(t)
	dir := prepare(t)
	r := run(t, gobin, env, "-d", "--root", filepath.Join(dir, "file"))
	if r.status != 1 || !strings.HasPrefix(r.stderr, "vmmctl-sim: ") {
		t.Errorf("status %d, stderr %q", r.status, r.stderr)
	}
}

func TestParseLimit(t *testing.T) {
	for arg, want := range map[string]int64{
		"0": 0, "7": 7, " 7": 7, "+7": 7, "\t+7": 7, " -0": 0,
		"4294967295": 1<<32 - 1, "4294967296": -1, "-1": -1, " -1": -1,
		"": -1, " ": -1, "+": -1, "7 ": -1, "0x7": -1, "7a": -1, "-0": -1,
		"18446744073709551616": -1,
	} {
		n, ok := parseLimit(arg)
		if got := map[bool]int64{true: int64(n), false: -1}[ok]; got != want {
			t.Errorf("parseLimit(%q) = %d, %v; want %d", arg, n, ok, want)
		}
	}
}

// TestFuse: --fuse serves in device mode with -tags vmmctl_fuse (the root
// a mount in which vmmctl is a file), and exits 69 without it, as the C
// daemon does where FUSE is unavailable.
func TestFuse(t *testing.T) {
	gobin, env := daemon(t)
	dir := shortDir(t)
	root := filepath.Join(dir, "r")
	if !fuseBuilt {
		r := run(t, gobin, env, "--root", root, "--fuse")
		if r.status != 69 || !strings.HasPrefix(r.stderr, "vmmctl-sim: --fuse: ") {
			t.Errorf("status %d, stderr %q; want 69", r.status, r.stderr)
		}
		if _, err := os.Lstat(root); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("root made: %v", err)
		}
		return
	}
	pidfile := filepath.Join(dir, "pid")
	r := run(t, gobin, env, "-d", "--fuse", "--root", root, "--pidfile",
		pidfile)
	if r.status != 0 {
		t.Fatalf("vmmctl-sim -d --fuse: status %d, %q", r.status, r.stderr)
	}
	pid := readPid(t, pidfile)
	t.Cleanup(func() { syscall.Kill(pid, syscall.SIGKILL) })
	if st, err := os.Stat(filepath.Join(root, "vmmctl")); err != nil ||
		!st.Mode().IsRegular() {
		t.Fatalf("%s/vmmctl: %v, %v; want a regular file", root, st, err)
	}
	c, err := vmmctl.Open(root)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Create("f", vmmctl.Persistent); err != nil {
		t.Fatal(err)
	}
	c.Close()
	syscall.Kill(pid, syscall.SIGTERM)
	for deadline := time.Now().Add(30 * time.Second); syscall.Kill(pid, 0) == nil; {
		if time.Now().After(deadline) {
			t.Fatal("the daemon did not end on SIGTERM")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if _, err := os.Lstat(filepath.Join(root, "vmmctl")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the mount outlived the daemon: %v", err)
	}
}

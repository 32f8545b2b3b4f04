// Command vmmctl-sim is the simulator daemon of vmmctl(3), built from the
// Go module alone:
//
//	go install vmmctl.dev/vmmctl/cmd/vmmctl-sim
//
// It serves the kernel side of FreeBSD's /dev/vmmctl under a root
// directory that looks like /dev, with the options, messages and exit
// statuses of the C daemon vmmctl-sim(1) of the source tree:
//
//	vmmctl-sim --root DIR [--fuse] [--generation N] [--jail NAME[:novmm]]...
//	           [--group GROUP] [--uid-limit N] [--pidfile FILE] [-d] [--help]
//
// Exit status 0 after SIGTERM or SIGINT (or --help), 64 (EX_USAGE) for bad
// options or a root, jail or limit the simulator refuses, 69
// (EX_UNAVAILABLE) when --fuse cannot be served here (the module built
// without -tags vmmctl_fuse, no /dev/fuse, no right to mount), 1 when it
// cannot listen or write the pid file.  With -d it returns once the sockets
// listen, leaving the daemon in a session of its own.
//
// The simulator itself is the C host bundled in the module (the same code
// as the C daemon's).  The C daemon's main, vmmctl_sim_main(), is not used:
// it forks for -d and installs SIGTERM and SIGINT handlers with sigaction,
// and in a Go process the child of a fork has only the forking thread (the
// runtime's other threads are gone), and handlers installed behind the
// runtime's back break its signal handling.  So this program parses the
// same options (GNU getopt_long's rules and glibc's messages), daemonises
// by re-executing itself and waiting for the child's "ready" byte on a
// pipe, as the C daemon waits for its forked child, and turns the signals
// into a stop with os/signal.  Its tests compare it with the C daemon.
package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"syscall"

	"vmmctl.dev/vmmctl/internal/cabi"
)

const (
	exUsage       = 64 // EX_USAGE
	exUnavailable = 69 // EX_UNAVAILABLE
	// daemonEnv tells the re-executed child of -d which descriptor to
	// write its "ready" byte to.
	daemonEnv = "VMMCTL_SIM_GO_DAEMON_FD"
)

const usageText = `usage: vmmctl-sim --root DIR [--fuse] [--generation N] [--jail NAME[:novmm]]...
                  [--group GROUP] [--uid-limit N] [--pidfile FILE] [-d] [--help]

Serves the kernel side of /dev/vmmctl on DIR/vmmctl.
  --root DIR       the simulated /dev (created if missing)
  --fuse           device mode: mount DIR (FUSE), vmmctl is a file
                   answering ioctl(2) (exit 69 if unavailable)
  --generation N   FreeBSD's /dev/vmmctl generation 1, 2 or 3 (default 3)
  --jail NAME      a jail (a/b nests): DIR/jails/NAME/vmmctl;
                   NAME:novmm for one without allow.vmm
  --group GROUP    the vmm group (default: the simulator's own)
  --uid-limit N    at most N VMs per real uid, 0 for no limit
                   (default: 4 x the CPUs, as FreeBSD)
  --pidfile FILE   write the pid once listening
  -d, --daemon     detach once listening
  -h, --help       this text
`

type options struct {
	root       string
	jails      []string
	uidLimit   uint32
	haveLimit  bool
	generation int // 0: the newest
	group      string
	haveGroup  bool
	pidfile    string
	daemonize  bool
	fuse       bool
}

func main() {
	os.Exit(simMain(os.Args, os.Stdout, os.Stderr))
}

// simMain is the whole program: an exit status.
func simMain(args []string, stdout, stderr io.Writer) int {
	var o options
	switch rc := parse(args, stdout, stderr, &o); {
	case rc < 0:
		return 0 // --help
	case rc > 0:
		return rc
	}
	sim, rc := configure(&o, stderr)
	if rc != 0 {
		return rc
	}
	defer sim.Free()
	return serve(sim, &o, args, stderr)
}

// A long option: its name, whether it takes an argument, and the short
// letter it stands for.
type longOpt struct {
	name   string
	hasArg bool
	id     byte
}

var longOpts = []longOpt{
	{"root", true, 'r'},
	{"jail", true, 'j'},
	{"uid-limit", true, 'u'},
	{"generation", true, 'g'},
	{"group", true, 'G'},
	{"pidfile", true, 'p'},
	{"fuse", false, 'f'},
	{"daemon", false, 'd'},
	{"help", false, 'h'},
}

// shortOpts are the short options; none takes an argument.
const shortOpts = "dh"

// parse parses args (args[0] is the program name, as getopt prints it)
// like the C daemon's getopt_long loop: options and operands may mix (the
// operands are left over), "--" ends the options, long options may be
// abbreviated and take "--opt=ARG" or "--opt ARG".  It returns 0, -1 after
// --help, or an exit status after a usage message.
func parse(args []string, stdout, stderr io.Writer, o *options) int {
	prog := args[0]
	bad := func(format string, a ...any) int {
		fmt.Fprintf(stderr, format, a...)
		io.WriteString(stderr, usageText)
		return exUsage
	}
	operands := 0
	for i := 1; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			operands += len(args) - i - 1
			i = len(args)
		case strings.HasPrefix(a, "--"):
			spec := a[2:]
			name, val, hasVal := strings.Cut(spec, "=")
			lo, matches := lookup(name)
			switch {
			case len(matches) == 0:
				return bad("%s: unrecognized option '--%s'\n", prog, spec)
			case lo == nil:
				var b strings.Builder
				fmt.Fprintf(&b, "%s: option '--%s' is ambiguous; "+
					"possibilities:", prog, spec)
				for _, m := range matches {
					fmt.Fprintf(&b, " '--%s'", m.name)
				}
				return bad("%s\n", b.String())
			case lo.hasArg && !hasVal:
				if i+1 == len(args) {
					return bad("%s: option '--%s' requires an "+
						"argument\n", prog, lo.name)
				}
				i++
				val = args[i]
			case !lo.hasArg && hasVal:
				return bad("%s: option '--%s' doesn't allow an "+
					"argument\n", prog, lo.name)
			}
			if rc := apply(lo.id, val, stdout, stderr, o); rc != 0 {
				return rc
			}
		case len(a) > 1 && a[0] == '-':
			for j := 1; j < len(a); j++ {
				if strings.IndexByte(shortOpts, a[j]) < 0 {
					return bad("%s: invalid option -- '%c'\n", prog,
						a[j])
				}
				if rc := apply(a[j], "", stdout, stderr, o); rc != 0 {
					return rc
				}
			}
		default:
			operands++
		}
	}
	if operands != 0 || o.root == "" {
		if o.root == "" {
			return bad("vmmctl-sim: --root is required\n")
		}
		return bad("")
	}
	return 0
}

// lookup finds a long option by its name or an abbreviation of it: the
// option (nil if none or ambiguous) and every option the name begins.
func lookup(name string) (*longOpt, []*longOpt) {
	var matches []*longOpt
	for i := range longOpts {
		lo := &longOpts[i]
		if lo.name == name {
			return lo, []*longOpt{lo}
		}
		if strings.HasPrefix(lo.name, name) {
			matches = append(matches, lo)
		}
	}
	if len(matches) == 1 {
		return matches[0], matches
	}
	return nil, matches
}

// apply takes one option: 0, -1 after --help, or an exit status.
func apply(id byte, arg string, stdout, stderr io.Writer, o *options) int {
	switch id {
	case 'r':
		o.root = arg
	case 'j':
		o.jails = append(o.jails, arg)
	case 'u':
		n, ok := parseLimit(arg)
		if !ok {
			fmt.Fprintf(stderr, "vmmctl-sim: bad --uid-limit %s\n", arg)
			io.WriteString(stderr, usageText)
			return exUsage
		}
		o.uidLimit, o.haveLimit = n, true
	case 'g':
		if arg != "1" && arg != "2" && arg != "3" {
			fmt.Fprintf(stderr, "vmmctl-sim: bad --generation %s "+
				"(1, 2 or 3)\n", arg)
			io.WriteString(stderr, usageText)
			return exUsage
		}
		o.generation = int(arg[0] - '0')
	case 'G':
		o.group, o.haveGroup = arg, true
	case 'p':
		o.pidfile = arg
	case 'd':
		o.daemonize = true
	case 'f':
		o.fuse = true
	case 'h':
		io.WriteString(stdout, usageText)
		return -1
	}
	return 0
}

// parseLimit accepts what the C daemon's strtoul(3) check does: optional
// leading white space and sign, decimal digits to the end, at most
// UINT32_MAX, and no '-' as the very first character.
func parseLimit(arg string) (uint32, bool) {
	if arg == "" || arg[0] == '-' {
		return 0, false
	}
	s := strings.TrimLeft(arg, " \t\n\v\f\r")
	neg := false
	if s != "" && (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-'
		s = s[1:]
	}
	if s == "" || s[0] < '0' || s[0] > '9' {
		return 0, false
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, false // not digits to the end, or beyond ULONG_MAX
	}
	if neg && n != 0 {
		return 0, false // strtoul negates: beyond UINT32_MAX
	}
	if n > 1<<32-1 {
		return 0, false
	}
	return uint32(n), true
}

// configure makes the simulator of o: the simulator, or an exit status.
func configure(o *options, stderr io.Writer) (*cabi.Sim, int) {
	sim, err := cabi.NewSim(o.root)
	if err != nil {
		fmt.Fprintf(stderr, "vmmctl-sim: --root %s: %s\n", o.root,
			strerror(err))
		return nil, exUsage
	}
	for _, j := range o.jails {
		if err := sim.Jail(j); err != nil {
			fmt.Fprintf(stderr, "vmmctl-sim: %s\n", simError(sim, err))
			sim.Free()
			return nil, exUsage
		}
	}
	if o.haveLimit {
		sim.SetUIDLimit(o.uidLimit)
	}
	sim.SetGeneration(o.generation)
	if o.haveGroup {
		if err := sim.SetGroup(o.group); err != nil {
			fmt.Fprintf(stderr, "vmmctl-sim: --group: %s\n",
				simError(sim, err))
			sim.Free()
			return nil, exUsage
		}
	}
	// Unavailable here, not misused: EX_UNAVAILABLE, as the C daemon.
	if o.fuse {
		if err := sim.SetFuse(cabi.Fuse | cabi.FuseAutoUnmount); err != nil {
			fmt.Fprintf(stderr, "vmmctl-sim: --fuse: %s\n",
				simError(sim, err))
			sim.Free()
			return nil, exUnavailable
		}
	}
	return sim, 0
}

// serve listens, announces readiness, and serves until SIGTERM or SIGINT:
// an exit status.  With -d, it first hands over to a re-executed child.
func serve(sim *cabi.Sim, o *options, args []string, stderr io.Writer) int {
	ready, isChild, rc := daemonChild()
	if rc != 0 {
		fmt.Fprintf(stderr, "vmmctl-sim: %s\n", "bad "+daemonEnv)
		return 1
	}
	if o.daemonize && !isChild {
		return daemonize(args, stderr)
	}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	defer signal.Stop(sigs)
	// The host sends with MSG_NOSIGNAL; this covers the rest.
	signal.Ignore(syscall.SIGPIPE)
	go func() {
		if _, ok := <-sigs; ok {
			sim.Stop()
		}
	}()
	if err := sim.Listen(); err != nil {
		fmt.Fprintf(stderr, "vmmctl-sim: %s\n", simError(sim, err))
		return 1
	}
	if o.pidfile != "" {
		if err := writePidfile(o.pidfile, os.Getpid()); err != nil {
			fmt.Fprintf(stderr, "vmmctl-sim: %s: %s\n", o.pidfile,
				strerror(err))
			return 1
		}
	}
	if ready != nil {
		announce(ready)
	}
	err := sim.Run()
	if err != nil {
		fmt.Fprintf(stderr, "vmmctl-sim: %s\n", simError(sim, err))
	}
	if o.pidfile != "" {
		os.Remove(o.pidfile)
	}
	if err != nil {
		return 1
	}
	return 0
}

// daemonChild tells whether this process is the re-executed child of -d:
// the descriptor to announce readiness on, and whether it is.
func daemonChild() (*os.File, bool, int) {
	v, ok := os.LookupEnv(daemonEnv)
	if !ok {
		return nil, false, 0
	}
	os.Unsetenv(daemonEnv)
	fd, err := strconv.Atoi(v)
	if err != nil || fd < 3 {
		return nil, false, 1
	}
	syscall.CloseOnExec(fd)
	return os.NewFile(uintptr(fd), "ready"), true, 0
}

// daemonize runs this program again, without a terminal, as the daemon,
// and returns 0 once it listens, or its failure.
func daemonize(args []string, stderr io.Writer) int {
	exe, err := os.Executable()
	if err != nil {
		fmt.Fprintf(stderr, "vmmctl-sim: %v\n", err)
		return 1
	}
	r, w, err := os.Pipe()
	if err != nil {
		fmt.Fprintf(stderr, "vmmctl-sim: pipe: %s\n", strerror(err))
		return 1
	}
	defer r.Close()
	cmd := exec.Command(exe, args[1:]...)
	cmd.Args[0] = args[0]
	cmd.Env = append(os.Environ(), daemonEnv+"=3")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.ExtraFiles = []*os.File{w} // descriptor 3
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	err = cmd.Start()
	w.Close()
	if err != nil {
		fmt.Fprintf(stderr, "vmmctl-sim: %v\n", err)
		return 1
	}
	var b [1]byte
	if n, _ := r.Read(b[:]); n == 1 {
		cmd.Process.Release()
		return 0
	}
	err = cmd.Wait()
	var ee *exec.ExitError
	if errors.As(err, &ee) && ee.Exited() && ee.ExitCode() != 0 {
		return ee.ExitCode()
	}
	return 1
}

// announce detaches from the terminal (standard descriptors to /dev/null)
// and writes the "ready" byte.
func announce(ready *os.File) {
	if null, err := os.OpenFile(os.DevNull, os.O_RDWR, 0); err == nil {
		for fd := 0; fd <= 2; fd++ {
			dup2(int(null.Fd()), fd)
		}
		null.Close()
	}
	ready.Write([]byte("r"))
	ready.Close()
}

// writePidfile writes the pid whole, then renames it into place: a reader
// never sees half a pid.
func writePidfile(path string, pid int) error {
	tmp := path + ".tmp"
	err := os.WriteFile(tmp, []byte(strconv.Itoa(pid)+"\n"), 0o666)
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
	}
	return err
}

// strerror is the C library's message for err's errno, as the C daemon
// prints it.
func strerror(err error) string {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return cabi.Strerror(errno)
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// simError is the host's sentence for its last failure.
func simError(sim *cabi.Sim, err error) string {
	if msg := sim.Err(); msg != "" {
		return msg
	}
	return strerror(err)
}

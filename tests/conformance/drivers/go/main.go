// Command driver is the Go conformance driver: it speaks the line protocol
// of tests/conformance on stdin/stdout, one answer line per command, so a
// controller can script it together with the C, Rust and Python drivers
// against one simulator.
package main

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"os"
	"sort"
	"strconv"
	"strings"
	"syscall"

	"vmmctl.dev/vmmctl"
)

// errnoNames is the table every driver reports errno values by.
var errnoNames = map[syscall.Errno]string{
	syscall.EPERM: "EPERM", syscall.ENOENT: "ENOENT", syscall.EINTR: "EINTR",
	syscall.EIO: "EIO", syscall.EBADF: "EBADF", syscall.EAGAIN: "EAGAIN",
	syscall.ENOMEM: "ENOMEM", syscall.EACCES: "EACCES", syscall.EBUSY: "EBUSY",
	syscall.EEXIST: "EEXIST", syscall.ENODEV: "ENODEV",
	syscall.ENOTDIR: "ENOTDIR", syscall.EINVAL: "EINVAL",
	syscall.EMFILE: "EMFILE", syscall.ENOTTY: "ENOTTY", syscall.EPIPE: "EPIPE",
	syscall.ERANGE: "ERANGE", syscall.ENAMETOOLONG: "ENAMETOOLONG",
	syscall.EPROTO: "EPROTO", syscall.ECONNRESET: "ECONNRESET",
	syscall.ECONNREFUSED: "ECONNREFUSED",
}

func errAnswer(err error) string {
	var errno syscall.Errno
	if !errors.As(err, &errno) {
		return "err E? " + strings.ReplaceAll(err.Error(), "\n", " ")
	}
	if name, ok := errnoNames[errno]; ok {
		return "err " + name
	}
	return "err E" + strconv.Itoa(int(errno))
}

type driver struct {
	ctl  *vmmctl.Control
	held []int
	out  *bufio.Writer
}

func (d *driver) say(s string) {
	d.out.WriteString(s + "\n")
	d.out.Flush()
}

func (d *driver) needCtl() (*vmmctl.Control, error) {
	if d.ctl == nil {
		return nil, syscall.EBADF
	}
	return d.ctl, nil
}

func sendFd(path string, fd int) error {
	sock, err := syscall.Socket(syscall.AF_UNIX,
		syscall.SOCK_DGRAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer syscall.Close(sock)
	return syscall.Sendmsg(sock, []byte("F"), syscall.UnixRights(fd),
		&syscall.SockaddrUnix{Name: path}, 0)
}

func (d *driver) recvFd(path string) error {
	conn, err := net.ListenUnixgram("unixgram",
		&net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		return err
	}
	defer conn.Close() // also removes path
	d.say("ready")
	buf := make([]byte, 1)
	oob := make([]byte, syscall.CmsgSpace(4))
	_, oobn, _, _, err := conn.ReadMsgUnix(buf, oob)
	if err != nil {
		return err
	}
	msgs, err := syscall.ParseSocketControlMessage(oob[:oobn])
	if err != nil || len(msgs) != 1 {
		return syscall.EBADMSG
	}
	fds, err := syscall.ParseUnixRights(&msgs[0])
	if err != nil || len(fds) != 1 {
		return syscall.EBADMSG
	}
	f := os.NewFile(uintptr(fds[0]), "received")
	// FromFile adopts a duplicate: closing f leaves that one.
	ctl, err := vmmctl.FromFile(f)
	f.Close()
	if err != nil {
		return err
	}
	d.ctl = ctl
	return nil
}

func (d *driver) run(words []string) (string, error) {
	cmd, args := words[0], words[1:]
	arg := func(i int) string {
		if i < len(args) {
			return args[i]
		}
		return ""
	}
	switch cmd {
	case "open", "adopt", "recv-fd":
		if d.ctl != nil {
			return "", syscall.EBUSY
		}
		switch cmd {
		case "open":
			ctl, err := vmmctl.Open(arg(0))
			if err != nil {
				return "", err
			}
			d.ctl = ctl
		case "adopt":
			fd, err := strconv.Atoi(arg(0))
			if err != nil {
				return "", syscall.EINVAL
			}
			f := os.NewFile(uintptr(fd), "inherited")
			ctl, err := vmmctl.FromFile(f)
			f.Close()
			if err != nil {
				return "", err
			}
			d.ctl = ctl
		default:
			return "", d.recvFd(arg(0))
		}
	case "create":
		ctl, err := d.needCtl()
		if err != nil {
			return "", err
		}
		var flags vmmctl.CreateFlag
		if arg(1) == "persistent" {
			flags = vmmctl.Persistent
		}
		return "", ctl.Create(arg(0), flags)
	case "destroy":
		ctl, err := d.needCtl()
		if err != nil {
			return "", err
		}
		return "", ctl.Destroy(arg(0))
	case "list":
		ctl, err := d.needCtl()
		if err != nil {
			return "", err
		}
		names, err := ctl.List()
		if err != nil {
			return "", err
		}
		sort.Strings(names)
		return strings.Join(append([]string{"ok"}, names...), " "), nil
	case "close":
		ctl, err := d.needCtl()
		if err != nil {
			return "", err
		}
		d.ctl = nil
		return "", ctl.Close()
	case "dup":
		ctl, err := d.needCtl()
		if err != nil {
			return "", err
		}
		fd, err := syscall.Dup(int(ctl.Fd()))
		if err != nil {
			return "", err
		}
		syscall.CloseOnExec(fd)
		d.held = append(d.held, fd)
	case "release":
		for _, fd := range d.held {
			syscall.Close(fd)
		}
		d.held = nil
	case "send-fd":
		ctl, err := d.needCtl()
		if err != nil {
			return "", err
		}
		return "", sendFd(arg(0), int(ctl.Fd()))
	case "hold", "ping":
	case "exit":
		os.Exit(0)
	case "crash":
		syscall.Kill(os.Getpid(), syscall.SIGKILL)
		select {}
	default:
		return "", syscall.EINVAL
	}
	return "", nil
}

func main() {
	d := &driver{out: bufio.NewWriter(os.Stdout)}
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 4096), 1<<20)
	for in.Scan() {
		words := strings.Fields(in.Text())
		if len(words) == 0 {
			d.say(errAnswer(syscall.EINVAL))
			continue
		}
		reply, err := d.run(words)
		switch {
		case err != nil:
			reply = errAnswer(err)
		case reply == "":
			reply = "ok"
		}
		d.say(reply)
	}
	if err := in.Err(); err != nil {
		fmt.Fprintln(os.Stderr, "driver:", err)
		os.Exit(1)
	}
}

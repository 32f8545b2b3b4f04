// Command vmmctl-bench-go is the Go leg of "make bench": create + destroy
// of one descriptor-scoped VM through the vmmctl package.
//
//	vmmctl-bench-go ROOT OPS BATCHES WARMUP
//
// It prints {"batches_ns": [...]}: nanoseconds per create + destroy.
package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"vmmctl.dev/vmmctl"
)

func batch(c *vmmctl.Control, name string, ops int) (float64, error) {
	t0 := time.Now()
	for i := 0; i < ops; i++ {
		if err := c.Create(name, 0); err != nil {
			return 0, err
		}
		if err := c.Destroy(name); err != nil {
			return 0, err
		}
	}
	return float64(time.Since(t0).Nanoseconds()) / float64(ops), nil
}

func run(args []string) (string, error) {
	var n [3]int
	for i := range n {
		v, err := strconv.Atoi(args[i+1])
		if err != nil {
			return "", err
		}
		n[i] = v
	}
	c, err := vmmctl.Open(args[0])
	if err != nil {
		return "", err
	}
	defer c.Close()
	name := fmt.Sprintf("bench-go-%d", os.Getpid())
	if _, err := batch(c, name, n[2]); err != nil {
		return "", err
	}
	res := make([]string, 0, n[1])
	for b := 0; b < n[1]; b++ {
		v, err := batch(c, name, n[0])
		if err != nil {
			return "", err
		}
		res = append(res, fmt.Sprintf("%.1f", v))
	}
	return fmt.Sprintf("{\"batches_ns\": [%s]}", strings.Join(res, ", ")), nil
}

func main() {
	if len(os.Args) != 5 {
		fmt.Fprintln(os.Stderr, "usage: vmmctl-bench-go ROOT OPS BATCHES WARMUP")
		os.Exit(2)
	}
	line, err := run(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, "vmmctl-bench-go:", err)
		os.Exit(1)
	}
	fmt.Println(line)
}

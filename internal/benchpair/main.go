// Command benchpair compares the whole-process time of two builds of a
// command on the same arguments: it runs them in alternating pairs (A, B,
// A, B, ...), so that load from other processes on a shared machine falls
// on both alike, and prints the medians of wall and CPU (user + system)
// time and the median of the pairs' differences. scripts/bench-against
// uses it to hold a build against an older one; it is a measuring tool,
// not part of elfdoctor.
//
//	go run ./internal/benchpair [-n PAIRS] A B -- ARGS...
//	go run ./internal/benchpair [-n PAIRS] -vs A ARGS... -- B ARGS...
//
// With -vs the two are different commands, each with its own arguments
// (elfdoctor check FILE against readelf -V FILE), and the ratio of the
// CPU medians is printed too.
//
// A run's exit status 0 or 1 counts as a run (1 is elfdoctor's "problem
// found"); anything else stops the measurement.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"syscall"
	"time"
)

func main() {
	n := flag.Int("n", 21, "pairs to run")
	label := flag.String("label", "", "row label (default: the arguments)")
	vs := flag.Bool("vs", false, "A and B are two commands with their own arguments: A ARGS... -- B ARGS...")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: benchpair [-n PAIRS] [-label L] A B -- ARGS...\n       benchpair [-n PAIRS] [-label L] -vs A ARGS... -- B ARGS...")
		flag.PrintDefaults()
	}
	flag.Parse()
	rest := flag.Args()
	var a, b string
	var args, argsB []string
	if *vs {
		i := slices.Index(rest, "--")
		if i < 1 || i == len(rest)-1 {
			flag.Usage()
			os.Exit(2)
		}
		a, args, b, argsB = rest[0], rest[1:i], rest[i+1], rest[i+2:]
	} else {
		if len(rest) < 3 || rest[2] != "--" {
			flag.Usage()
			os.Exit(2)
		}
		a, b, args = rest[0], rest[1], rest[3:]
		argsB = args
	}
	if *n < 1 {
		flag.Usage()
		os.Exit(2)
	}
	if *label == "" {
		*label = fmt.Sprint(args)
	}
	type command struct {
		bin  string
		args []string
	}
	ca0, cb0 := command{a, args}, command{b, argsB}
	// One run of each first, unmeasured: page cache and dentries warm.
	for _, c := range []command{ca0, cb0} {
		if _, _, err := once(c.bin, c.args); err != nil {
			fmt.Fprintln(os.Stderr, "benchpair:", err)
			os.Exit(2)
		}
	}
	var wa, wb, ca, cb, dw, dc []float64
	for i := 0; i < *n; i++ {
		// Alternate which build goes first, so neither always follows
		// the other's cache effects.
		first, second := ca0, cb0
		if i%2 == 1 {
			first, second = cb0, ca0
		}
		w1, c1, err1 := once(first.bin, first.args)
		w2, c2, err2 := once(second.bin, second.args)
		if err := errors.Join(err1, err2); err != nil {
			fmt.Fprintln(os.Stderr, "benchpair:", err)
			os.Exit(2)
		}
		if i%2 == 1 {
			w1, w2, c1, c2 = w2, w1, c2, c1
		}
		wa, wb, ca, cb = append(wa, w1), append(wb, w2), append(ca, c1), append(cb, c2)
		dw, dc = append(dw, w2-w1), append(dc, c2-c1)
	}
	// The interquartile range of the CPU differences is the spread to
	// quote beside the median: on a loaded machine a median alone hides
	// whether a millisecond is signal.
	fmt.Printf("%-24s wall %7.2f → %7.2f ms (Δ %+6.2f)   cpu %6.2f → %6.2f ms (Δ %+6.2f, IQR %+.2f…%+.2f)   %d pairs\n",
		*label, median(wa), median(wb), median(dw), median(ca), median(cb), median(dc),
		quantile(dc, 0.25), quantile(dc, 0.75), *n)
	if *vs {
		fmt.Printf("%-24s cpu ratio %.2f, wall ratio %.2f (%s / %s), load average %s\n", "", median(ca)/median(cb), median(wa)/median(wb), a, b, loadavg())
	}
}

// loadavg is the 1-minute load average, the busier the machine the less
// a figure says.
func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil || len(b) == 0 {
		return "?"
	}
	f := strings.Fields(string(b))
	return f[0]
}

// once runs bin with args, output discarded, and returns its wall time
// and the CPU time the kernel accounted to it, in milliseconds.
func once(bin string, args []string) (wall, cpu float64, err error) {
	cmd := exec.Command(bin, args...)
	start := time.Now()
	err = cmd.Run()
	wall = float64(time.Since(start).Microseconds()) / 1000
	var ee *exec.ExitError
	if err != nil && !(errors.As(err, &ee) && ee.ExitCode() == 1) {
		return 0, 0, fmt.Errorf("%s %v: %w", bin, args, err)
	}
	ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if !ok {
		return 0, 0, errors.New("no rusage on this system")
	}
	us := func(t syscall.Timeval) float64 { return float64(t.Sec)*1e3 + float64(t.Usec)/1e3 }
	return wall, us(ru.Utime) + us(ru.Stime), nil
}

func median(xs []float64) float64 { return quantile(xs, 0.5) }

// quantile interpolates linearly between the closest ranks.
func quantile(xs []float64, q float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	pos := q * float64(len(s)-1)
	i := int(pos)
	if i+1 >= len(s) {
		return s[len(s)-1]
	}
	return s[i] + (pos-float64(i))*(s[i+1]-s[i])
}

// Command timeit runs a command repeatedly and reports its wall time (min,
// median, mean, max), its median CPU time (user + system of the command and
// the descendants it waited for: cpu_median_ms) and its peak resident
// memory:
//
//	timeit [-n 20] [-warmup 2] [-hwm] [-json] [-v] -- CMD ARGS... [::: CMD2 ARGS...]...
//
// Several commands separated by ::: are run alternately (A B A B …), so
// that the load of a shared machine drifting over time biases none of them;
// each gets its own result line.
//
// maxrss is the largest rusage Maxrss of the runs: the peak resident set of
// the command and of every descendant it waited for (for a host with
// plugins, max(host, plugin)). With -hwm, timeit also polls
// /proc/PID/status every millisecond while the command runs and reports the
// command's own VmHWM (hwm_kib) and each descendant's by process name
// (hwm_kib.NAME); polling costs some CPU, so time without -hwm. The
// measured command's stdout and stderr go to /dev/null unless -v (the end
// of its stderr is shown if it fails). The result is one key=value line on
// stdout per command (-json: a JSON array of objects instead). See package
// measure.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/nodeplug/nodeplug/bench/internal/measure"
)

func main() {
	fs := flag.NewFlagSet("timeit", flag.ExitOnError)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: timeit [-n 20] [-warmup 2] [-hwm] [-json] [-v] -- CMD ARGS... [::: CMD2 ARGS...]...")
		fs.PrintDefaults()
	}
	cfg := measure.Config{}
	fs.IntVar(&cfg.Runs, "n", 20, "measured runs")
	fs.IntVar(&cfg.Warmup, "warmup", 2, "unmeasured runs first")
	fs.BoolVar(&cfg.PollHWM, "hwm", false, "poll /proc/PID/status VmHWM of the command and its descendants every -poll")
	fs.DurationVar(&cfg.PollInterval, "poll", measure.DefaultPollInterval, "polling period of -hwm")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	verbose := fs.Bool("v", false, "pass the command's stdout and stderr through")
	_ = fs.Parse(os.Args[1:])
	cfg.Commands = splitCommands(fs.Args())
	if *verbose {
		cfg.Stdout, cfg.Stderr = os.Stderr, os.Stderr
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	results, err := measure.Measure(ctx, cfg)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "timeit:", err)
		os.Exit(1)
	}
	if *asJSON {
		out := make([]measure.JSONResult, len(results))
		for i, r := range results {
			out[i] = r.JSON()
		}
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(out); err != nil {
			fmt.Fprintln(os.Stderr, "timeit: writing JSON:", err)
			os.Exit(1)
		}
		return
	}
	for _, r := range results {
		fmt.Println(r.Line())
	}
}

// splitCommands splits args at each standalone ":::".
func splitCommands(args []string) [][]string {
	var out [][]string
	cur := []string{}
	for _, a := range args {
		if a == ":::" {
			out = append(out, cur)
			cur = []string{}
			continue
		}
		cur = append(cur, a)
	}
	return append(out, cur)
}

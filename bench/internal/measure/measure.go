// Package measure runs a command repeatedly and measures its wall time and
// peak resident memory; it is the engine of bench/cmd/timeit.
//
// Two memory figures are taken, both on Linux:
//
//   - MaxRSS, from the rusage that wait4 returns for the child
//     (ProcessState.SysUsage().Maxrss, KiB on Linux): the largest resident
//     set of the child and of every descendant it waited for. For a host
//     that launches plugins it is max(host, plugin), not the host's own.
//   - HWM (opt-in, Config.PollHWM): the VmHWM line of /proc/PID/status of
//     the direct child, read every PollInterval (1 ms) while it runs, keeping
//     the largest value. VmHWM is the kernel's own high-water mark of the
//     process's resident set, so a read at any moment includes every earlier
//     peak; polling only risks missing growth in the last interval before
//     the process exits (its status has no Vm lines once it is a zombie).
//     Descendants (found by scanning /proc/*/stat for parent PIDs every ten
//     polls) are read the same way and reported by process name, which
//     gives a plugin's peak separately from its host's. No ptrace is used.
//     Polling costs a little CPU beside the measured command, so wall times
//     of runs with PollHWM are not comparable with runs without it.
package measure

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// DefaultPollInterval is how often PollHWM reads /proc.
const DefaultPollInterval = time.Millisecond

// descendantScanEvery is how many polls pass between scans of /proc for
// new descendants (a scan reads every /proc/*/stat).
const descendantScanEvery = 10

// stderrTail is how much of a failing command's stderr an error keeps.
const stderrTail = 4 << 10

// Config says what to run and how.
type Config struct {
	// Commands are the commands to measure, each with its arguments. With
	// more than one, runs alternate between them (A B A B …) so that a
	// change in the machine's load over time affects all alike.
	Commands [][]string
	// Runs is the number of measured runs of each command (at least 1).
	Runs int
	// Warmup runs go first and are not measured.
	Warmup int
	// PollHWM turns on polling /proc/PID/status for VmHWM.
	PollHWM bool
	// PollInterval is the polling period; default DefaultPollInterval.
	PollInterval time.Duration
	// Stdout and Stderr receive the command's output; nil discards it (the
	// tail of stderr is still kept for the error of a failing run).
	Stdout, Stderr io.Writer
}

// Stats summarizes wall times.
type Stats struct {
	Min, Median, Mean, Max time.Duration
}

// Result is the outcome of Measure.
type Result struct {
	// Args is the command measured.
	Args []string
	// Runs is the number of measured runs.
	Runs int
	// Walls holds each measured run's wall time, in order.
	Walls []time.Duration
	// Wall summarizes Walls.
	Wall Stats
	// CPUs holds each measured run's CPU time (user + system, from rusage:
	// the command and the descendants it waited for), in order. Unlike wall
	// time it hardly depends on what else the machine is doing.
	CPUs []time.Duration
	// CPU summarizes CPUs.
	CPU Stats
	// MaxRSSBytes is the largest rusage Maxrss of the measured runs.
	MaxRSSBytes int64
	// HWMBytes is the largest VmHWM of the direct child (PollHWM only).
	HWMBytes int64
	// DescendantHWMBytes is the largest VmHWM per descendant process name
	// (PollHWM only).
	DescendantHWMBytes map[string]int64
	// Polled reports whether PollHWM was on.
	Polled bool
}

// ErrNoCommand is returned when a command of Config.Commands is empty.
var ErrNoCommand = errors.New("no command to measure: give it after --, e.g. timeit -- true")

// Measure runs each command cfg.Warmup + cfg.Runs times, alternating
// between the commands, one run at a time, and stops at the first run that
// fails. It returns one Result per command, in order.
func Measure(ctx context.Context, cfg Config) ([]*Result, error) {
	if len(cfg.Commands) == 0 {
		return nil, ErrNoCommand
	}
	if cfg.Runs < 1 {
		cfg.Runs = 1
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = DefaultPollInterval
	}
	out := make([]*Result, len(cfg.Commands))
	for c, args := range cfg.Commands {
		if len(args) == 0 {
			return nil, ErrNoCommand
		}
		out[c] = &Result{Args: args, Runs: cfg.Runs, Polled: cfg.PollHWM}
		if cfg.PollHWM {
			out[c].DescendantHWMBytes = map[string]int64{}
		}
	}
	total := cfg.Warmup + cfg.Runs
	for i := range total {
		for _, res := range out {
			r, err := runOnce(ctx, cfg, res.Args)
			if err != nil {
				return nil, fmt.Errorf("run %d of %d of %q: %w", i+1, total, strings.Join(res.Args, " "), err)
			}
			if i < cfg.Warmup {
				continue
			}
			res.Walls = append(res.Walls, r.wall)
			res.CPUs = append(res.CPUs, r.cpu)
			res.MaxRSSBytes = max(res.MaxRSSBytes, r.maxRSS)
			res.HWMBytes = max(res.HWMBytes, r.hwm)
			for name, b := range r.descendants {
				res.DescendantHWMBytes[name] = max(res.DescendantHWMBytes[name], b)
			}
		}
	}
	for _, res := range out {
		res.Wall = Summarize(res.Walls)
		res.CPU = Summarize(res.CPUs)
	}
	return out, nil
}

// Summarize returns the min, median (mean of the middle two for an even
// count), mean and max of ds; zero for none.
func Summarize(ds []time.Duration) Stats {
	if len(ds) == 0 {
		return Stats{}
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	var sum time.Duration
	for _, d := range s {
		sum += d
	}
	med := s[len(s)/2]
	if len(s)%2 == 0 {
		med = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return Stats{Min: s[0], Median: med, Mean: sum / time.Duration(len(s)), Max: s[len(s)-1]}
}

type oneRun struct {
	wall        time.Duration
	cpu         time.Duration
	maxRSS      int64
	hwm         int64
	descendants map[string]int64
}

// tailWriter keeps the last n bytes written.
type tailWriter struct {
	n   int
	buf []byte
}

func (t *tailWriter) Write(p []byte) (int, error) {
	t.buf = append(t.buf, p...)
	if len(t.buf) > t.n {
		t.buf = append(t.buf[:0], t.buf[len(t.buf)-t.n:]...)
	}
	return len(p), nil
}

func runOnce(ctx context.Context, cfg Config, args []string) (oneRun, error) {
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	cmd.Stdout = cfg.Stdout
	if cmd.Stdout == nil {
		cmd.Stdout = io.Discard
	}
	tail := &tailWriter{n: stderrTail}
	cmd.Stderr = tail
	if cfg.Stderr != nil {
		cmd.Stderr = io.MultiWriter(cfg.Stderr, tail)
	}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return oneRun{}, fmt.Errorf("starting: %w", err)
	}
	var p *poller
	if cfg.PollHWM {
		p = startPoller(cmd.Process.Pid, cfg.PollInterval)
	}
	waitErr := cmd.Wait()
	wall := time.Since(start)
	var r oneRun
	if p != nil {
		r.hwm, r.descendants = p.stop()
	}
	r.wall = wall
	if waitErr != nil {
		msg := strings.TrimSpace(string(tail.buf))
		if msg == "" {
			msg = "(no output on stderr)"
		}
		return r, fmt.Errorf("%w; its stderr ends with:\n%s", waitErr, msg)
	}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		r.maxRSS = int64(ru.Maxrss) * 1024 // KiB on Linux
		r.cpu = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	return r, nil
}

// poller reads VmHWM of a process and of its descendants until stopped.
type poller struct {
	root  int
	every time.Duration
	done  chan struct{}
	wg    sync.WaitGroup

	// onPoll, when set (tests), is called after each poll.
	onPoll func()

	// Owned by the polling goroutine until wg.Wait returns.
	hwm   int64
	known map[int]*procPeak
}

type procPeak struct {
	name string
	hwm  int64
}

func startPoller(pid int, every time.Duration) *poller { return startPollerHook(pid, every, nil) }

func startPollerHook(pid int, every time.Duration, onPoll func()) *poller {
	p := &poller{root: pid, every: every, done: make(chan struct{}), known: map[int]*procPeak{}, onPoll: onPoll}
	p.wg.Add(1)
	go p.loop()
	return p
}

func (p *poller) loop() {
	defer p.wg.Done()
	t := time.NewTicker(p.every)
	defer t.Stop()
	for n := 0; ; n++ {
		p.poll(n%descendantScanEvery == 0)
		if p.onPoll != nil {
			p.onPoll()
		}
		select {
		case <-p.done:
			return
		case <-t.C:
		}
	}
}

func (p *poller) poll(scan bool) {
	if _, hwm, ok := readStatus(p.root); ok {
		p.hwm = max(p.hwm, hwm)
	}
	if scan {
		p.scanDescendants()
	}
	for pid, pk := range p.known {
		name, hwm, ok := readStatus(pid)
		switch {
		case !ok:
		case name == pk.name:
			pk.hwm = max(pk.hwm, hwm)
		default:
			// The child was seen between fork and exec, under its parent's
			// name and memory; exec resets VmHWM, so start over.
			pk.name, pk.hwm = name, hwm
		}
	}
}

// scanDescendants adds the processes whose parent is the root or a known
// descendant. Two passes catch a grandchild listed before its parent.
func (p *poller) scanDescendants() {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return
	}
	parents := map[int]int{}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == p.root {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		if ppid, ok := ParseStatPPid(b); ok {
			parents[pid] = ppid
		}
	}
	for range 2 {
		for pid, ppid := range parents {
			if _, ok := p.known[pid]; ok {
				continue
			}
			if _, ok := p.known[ppid]; ppid != p.root && !ok {
				continue
			}
			if name, hwm, ok := readStatus(pid); ok {
				p.known[pid] = &procPeak{name: name, hwm: hwm}
			}
		}
	}
}

// stop ends polling and returns the root's peak and the peak per
// descendant name.
func (p *poller) stop() (int64, map[string]int64) {
	close(p.done)
	p.wg.Wait()
	byName := map[string]int64{}
	for _, pk := range p.known {
		byName[pk.name] = max(byName[pk.name], pk.hwm)
	}
	return p.hwm, byName
}

// readStatus reads the Name and VmHWM (in bytes) of /proc/PID/status; ok
// is false when the process is gone or is a zombie (no Vm lines).
func readStatus(pid int) (name string, hwm int64, ok bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return "", 0, false
	}
	return ParseStatus(b)
}

// ParseStatus extracts Name and VmHWM (converted to bytes) from the text of
// /proc/PID/status; ok is false when there is no VmHWM line.
func ParseStatus(b []byte) (name string, hwm int64, ok bool) {
	for line := range bytes.Lines(b) {
		k, v, found := bytes.Cut(line, []byte(":"))
		if !found {
			continue
		}
		switch string(k) {
		case "Name":
			name = string(bytes.TrimSpace(v))
		case "VmHWM":
			f := strings.Fields(string(v))
			if len(f) != 2 || f[1] != "kB" {
				return name, 0, false
			}
			kb, err := strconv.ParseInt(f[0], 10, 64)
			if err != nil {
				return name, 0, false
			}
			return name, kb * 1024, true
		}
	}
	return name, 0, false
}

// ParseStatPPid extracts the parent PID (field 4) from the text of
// /proc/PID/stat. The command name (field 2) is in parentheses and may hold
// spaces and parentheses, so fields are counted after the last ')'.
func ParseStatPPid(b []byte) (int, bool) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 2 {
		return 0, false
	}
	ppid, err := strconv.Atoi(f[1])
	if err != nil {
		return 0, false
	}
	return ppid, true
}

// ms formats a duration in milliseconds with three decimals.
func ms(d time.Duration) string { return strconv.FormatFloat(float64(d)/1e6, 'f', 3, 64) }

// Line is the result as one line of key=value pairs (times in ms, memory in
// KiB), easy to read and to pick apart in a shell script:
//
//	runs=20 min_ms=… median_ms=… mean_ms=… max_ms=… cpu_median_ms=… maxrss_kib=… [hwm_kib=… hwm_kib.NAME=…] cmd="…"
func (r *Result) Line() string {
	var b strings.Builder
	fmt.Fprintf(&b, "runs=%d min_ms=%s median_ms=%s mean_ms=%s max_ms=%s cpu_median_ms=%s maxrss_kib=%d",
		r.Runs, ms(r.Wall.Min), ms(r.Wall.Median), ms(r.Wall.Mean), ms(r.Wall.Max), ms(r.CPU.Median), r.MaxRSSBytes/1024)
	if r.Polled {
		fmt.Fprintf(&b, " hwm_kib=%d", r.HWMBytes/1024)
		names := make([]string, 0, len(r.DescendantHWMBytes))
		for n := range r.DescendantHWMBytes {
			names = append(names, n)
		}
		slices.Sort(names)
		for _, n := range names {
			fmt.Fprintf(&b, " hwm_kib.%s=%d", strings.ReplaceAll(n, " ", "_"), r.DescendantHWMBytes[n]/1024)
		}
	}
	fmt.Fprintf(&b, " cmd=%q", strings.Join(r.Args, " "))
	return b.String()
}

// JSONResult is the JSON form of a Result (times in nanoseconds, memory in
// bytes).
type JSONResult struct {
	Command            []string         `json:"command"`
	Runs               int              `json:"runs"`
	WallNs             []int64          `json:"wall_ns"`
	MinNs              int64            `json:"min_ns"`
	MedianNs           int64            `json:"median_ns"`
	MeanNs             int64            `json:"mean_ns"`
	MaxNs              int64            `json:"max_ns"`
	CPUNs              []int64          `json:"cpu_ns"`
	CPUMedianNs        int64            `json:"cpu_median_ns"`
	MaxRSSBytes        int64            `json:"maxrss_bytes"`
	HWMBytes           *int64           `json:"hwm_bytes,omitempty"`
	DescendantHWMBytes map[string]int64 `json:"descendant_hwm_bytes,omitempty"`
}

// JSON returns the result's JSON form.
func (r *Result) JSON() JSONResult {
	out := JSONResult{
		Command: r.Args, Runs: r.Runs,
		MinNs: int64(r.Wall.Min), MedianNs: int64(r.Wall.Median), MeanNs: int64(r.Wall.Mean), MaxNs: int64(r.Wall.Max),
		MaxRSSBytes: r.MaxRSSBytes,
	}
	for _, w := range r.Walls {
		out.WallNs = append(out.WallNs, int64(w))
	}
	for _, c := range r.CPUs {
		out.CPUNs = append(out.CPUNs, int64(c))
	}
	out.CPUMedianNs = int64(r.CPU.Median)
	if r.Polled {
		h := r.HWMBytes
		out.HWMBytes = &h
		out.DescendantHWMBytes = r.DescendantHWMBytes
	}
	return out
}

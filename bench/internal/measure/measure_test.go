package measure

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// helperEnv selects a helper mode when the test binary runs as a child.
const helperEnv = "MEASURE_TEST_HELPER"

func TestMain(m *testing.M) {
	switch mode := os.Getenv(helperEnv); {
	case strings.HasPrefix(mode, "alloc:"):
		mib, _ := strconv.Atoi(strings.TrimPrefix(mode, "alloc:"))
		helperAlloc(mib)
		os.Exit(0)
	case strings.HasPrefix(mode, "spawn:"):
		os.Exit(helperSpawn(strings.TrimPrefix(mode, "spawn:")))
	case mode == "fail":
		fmt.Fprintln(os.Stderr, "helper failing on purpose")
		os.Exit(3)
	}
	os.Exit(m.Run())
}

// touch allocates mib MiB and writes every page so that it is resident.
func touch(mib int) []byte {
	b := make([]byte, mib<<20)
	for i := 0; i < len(b); i += 4096 {
		b[i] = 1
	}
	return b
}

// helperAlloc makes mib MiB resident, says "ready" and waits for EOF on stdin.
func helperAlloc(mib int) {
	b := touch(mib)
	fmt.Println("ready")
	_, _ = io.Copy(io.Discard, os.Stdin)
	_ = b[len(b)-1]
}

// helperSpawn starts a child that makes childMiB resident (sharing stdin),
// makes 8 MiB resident itself, says "ready" once both are, and waits for
// the child.
func helperSpawn(childMiB string) int {
	c := exec.Command(os.Args[0])
	c.Env = append(os.Environ(), helperEnv+"=alloc:"+childMiB)
	c.Stdin = os.Stdin
	out, err := c.StdoutPipe()
	if err != nil {
		return 1
	}
	if err := c.Start(); err != nil {
		return 1
	}
	if _, err := bufio.NewReader(out).ReadString('\n'); err != nil {
		return 1
	}
	b := touch(8)
	fmt.Println("ready")
	if err := c.Wait(); err != nil {
		return 1
	}
	_ = b[len(b)-1]
	return 0
}

func TestSummarize(t *testing.T) {
	t.Parallel()
	ms := time.Millisecond
	tests := map[string]struct {
		in   []time.Duration
		want Stats
	}{
		"none": {nil, Stats{}},
		"one":  {[]time.Duration{5 * ms}, Stats{5 * ms, 5 * ms, 5 * ms, 5 * ms}},
		"odd":  {[]time.Duration{9 * ms, 1 * ms, 2 * ms}, Stats{1 * ms, 2 * ms, 4 * ms, 9 * ms}},
		"even": {[]time.Duration{4 * ms, 1 * ms, 2 * ms, 9 * ms}, Stats{1 * ms, 3 * ms, 4 * ms, 9 * ms}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tc.want, Summarize(tc.in)); diff != "" {
				t.Errorf("Summarize(%v) (-want +got):\n%s", tc.in, diff)
			}
		})
	}
}

func TestParseStatus(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		in       string
		wantName string
		wantHWM  int64
		wantOK   bool
	}{
		"running": {"Name:\tnodeplug-zoom\nUmask:\t0022\nVmPeak:\t 1300 kB\nVmHWM:\t   20480 kB\nVmRSS:\t 100 kB\n", "nodeplug-zoom", 20480 * 1024, true},
		"zombie":  {"Name:\tnodeplug\nState:\tZ (zombie)\nThreads:\t1\n", "nodeplug", 0, false},
		"garbled": {"Name:\tx\nVmHWM:\tlots\n", "x", 0, false},
		"no unit": {"Name:\tx\nVmHWM:\t12\n", "x", 0, false},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			n, hwm, ok := ParseStatus([]byte(tc.in))
			if diff := cmp.Diff([]any{tc.wantName, tc.wantHWM, tc.wantOK}, []any{n, hwm, ok}); diff != "" {
				t.Errorf("ParseStatus (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseStatPPid(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		in     string
		want   int
		wantOK bool
	}{
		"plain":           {"4242 (nodeplug-zoom) S 4200 4242 4200 0 -1", 4200, true},
		"parens in comm":  {"7 (a) b (c)) R 1 7 7 0", 1, true},
		"spaces in comm":  {"8 (my proc) S 99 8 8", 99, true},
		"truncated":       {"9 (x) S", 0, false},
		"no command name": {"garbage", 0, false},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got, ok := ParseStatPPid([]byte(tc.in))
			if got != tc.want || ok != tc.wantOK {
				t.Errorf("ParseStatPPid(%q) = %d, %v; want %d, %v", tc.in, got, ok, tc.want, tc.wantOK)
			}
		})
	}
}

// TestMeasureRunsAndFails measures two commands, alternating.
func TestMeasureRunsAndFails(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		mode    string
		wantErr string
	}{
		"success": {"alloc:1", ""},
		"failure": {"fail", "helper failing on purpose"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			// The helper waits for EOF on stdin, which is /dev/null here;
			// env(1) hands it its mode without touching this process's
			// environment.
			results, err := Measure(context.Background(), Config{
				Commands: [][]string{
					{"/usr/bin/env", helperEnv + "=alloc:1", os.Args[0]},
					{"/usr/bin/env", helperEnv + "=" + tc.mode, os.Args[0]},
				},
				Runs: 3, Warmup: 1,
			})
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Measure error = %v; want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(results) != 2 {
				t.Fatalf("got %d results for 2 commands", len(results))
			}
			res := results[1]
			if len(res.Walls) != 3 || res.Wall.Min <= 0 || res.Wall.Min > res.Wall.Median || res.Wall.Median > res.Wall.Max {
				t.Errorf("walls %v, stats %+v: want 3 positive, ordered", res.Walls, res.Wall)
			}
			if len(res.CPUs) != 3 || res.CPU.Max <= 0 {
				t.Errorf("CPU times %v: want 3, some positive", res.CPUs)
			}
			if res.MaxRSSBytes < 1<<20 {
				t.Errorf("MaxRSSBytes = %d; want at least the 1 MiB the helper touched", res.MaxRSSBytes)
			}
		})
	}
}

// TestPollerSeesHostAndChild checks the VmHWM polling against a helper that
// makes 8 MiB resident and starts a child that makes 24 MiB resident; both
// stay alive until the test closes their stdin, after the poller has polled
// (and scanned for descendants) since they said they were ready.
func TestPollerSeesHostAndChild(t *testing.T) {
	t.Parallel()
	c := exec.Command(os.Args[0])
	c.Env = append(os.Environ(), helperEnv+"=spawn:24")
	in, err := c.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := c.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	polls := make(chan struct{}, 1)
	p := startPollerHook(c.Process.Pid, 100*time.Microsecond, func() {
		select {
		case polls <- struct{}{}:
		default:
		}
	})
	if line, err := bufio.NewReader(out).ReadString('\n'); err != nil || line != "ready\n" {
		t.Fatalf("helper said %q, %v; want ready", line, err)
	}
	for range descendantScanEvery + 2 { // at least one scan and one read after ready
		<-polls
	}
	in.Close()
	if err := c.Wait(); err != nil {
		t.Fatalf("helper: %v", err)
	}
	hwm, byName := p.stop()
	if hwm < 8<<20 {
		t.Errorf("root VmHWM = %d; want at least 8 MiB", hwm)
	}
	self, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	name, _, _ := ParseStatus(self) // the helpers run this same binary
	if byName[name] < 24<<20 {
		t.Errorf("descendants %v: want %q at least 24 MiB", byName, name)
	}
}

package e2e_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/nodeplug/nodeplug/zoomsandbox"
)

// bins are the binaries TestMain builds once; set before any test runs.
var bins struct {
	repo      string // repository root
	nodeplug  string
	pluginDir string // holds nodeplug-zoom
	sandbox   string
}

// tokenMarkers prefix every token and code the sandbox issues: finding one
// anywhere means a token leaked.
var tokenMarkers = []string{"zsbx_at_", "zsbx_rt_", "zsbx_code_"}

func TestMain(m *testing.M) {
	code, err := setupAndRun(m)
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		os.Exit(1)
	}
	os.Exit(code)
}

func setupAndRun(m *testing.M) (int, error) {
	repo, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		return 0, err
	}
	if _, err := os.Stat(filepath.Join(repo, "go.mod")); err != nil {
		return 0, fmt.Errorf("repository root not found from %s: %w", repo, err)
	}
	dir, err := os.MkdirTemp("", "nodeplug-e2e-bin-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(dir)
	bins.repo = repo
	bins.nodeplug = filepath.Join(dir, "nodeplug")
	bins.pluginDir = filepath.Join(dir, "plugins")
	bins.sandbox = filepath.Join(dir, "nodeplug-zoom-sandbox")
	if err := os.Mkdir(bins.pluginDir, 0o755); err != nil {
		return 0, err
	}
	for out, pkg := range map[string]string{
		bins.nodeplug: "./cmd/nodeplug",
		filepath.Join(bins.pluginDir, "nodeplug-zoom"): "./cmd/nodeplug-zoom",
		bins.sandbox: "./cmd/nodeplug-zoom-sandbox",
	} {
		cmd := exec.Command(goTool(), "build", "-o", out, pkg)
		cmd.Dir = repo
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if b, err := cmd.CombinedOutput(); err != nil {
			return 0, fmt.Errorf("building %s: %v\n%s", pkg, err, b)
		}
	}
	return m.Run(), nil
}

// goTool is the go command of the toolchain running the tests.
func goTool() string {
	if p := filepath.Join(runtime.GOROOT(), "bin", "go"); fileExists(p) {
		return p
	}
	return "go"
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

func randHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

// newKey returns a fresh encryption key as NODEPLUG_ENCRYPTION_KEY wants it.
func newKey() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return base64.StdEncoding.EncodeToString(b)
}

// waitUntil polls cond until it holds or timeout passes.
func waitUntil(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		<-tick.C
	}
}

// ---- the sandbox ----

// sandbox is a nodeplug-zoom-sandbox subprocess with per-test secrets.
type sandbox struct {
	URL                   string
	UserSecret, S2SSecret string
	t                     *testing.T
}

// startSandbox starts a sandbox on a free loopback port; flags are extra
// command-line flags (e.g. --access-token-ttl). It is stopped at cleanup.
func startSandbox(t *testing.T, flags ...string) *sandbox {
	t.Helper()
	sb := &sandbox{UserSecret: "e2e-user-secret-" + randHex(12), S2SSecret: "e2e-s2s-secret-" + randHex(12), t: t}
	cmd := exec.Command(bins.sandbox, append([]string{"--addr", "127.0.0.1:0"}, flags...)...)
	cmd.Env = []string{
		"NODEPLUG_ZOOM_SANDBOX_CLIENT_SECRET=" + sb.UserSecret,
		"NODEPLUG_ZOOM_SANDBOX_S2S_CLIENT_SECRET=" + sb.S2SSecret,
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	line := make(chan string, 1)
	go func() {
		s, _ := bufio.NewReader(stdout).ReadString('\n')
		line <- s
		_, _ = io.Copy(io.Discard, stdout)
	}()
	select {
	case l := <-line:
		_, u, ok := strings.Cut(strings.TrimSpace(l), "listening on ")
		if !ok || !strings.HasPrefix(u, "http://127.0.0.1:") {
			t.Fatalf("sandbox's first stdout line %q does not give its URL", l)
		}
		sb.URL = u
	case <-time.After(15 * time.Second):
		t.Fatal("the sandbox did not print its URL within 15s")
	}
	return sb
}

var httpClient = &http.Client{Timeout: 30 * time.Second}

// control calls a /_sandbox/ endpoint; out may be nil.
func (sb *sandbox) control(method, path string, body, out any) {
	sb.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			sb.t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, sb.URL+"/_sandbox/"+path, rd)
	if err != nil {
		sb.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := httpClient.Do(req)
	if err != nil {
		sb.t.Fatalf("sandbox control %s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		sb.t.Fatalf("sandbox control %s %s: %s: %s", method, path, resp.Status, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			sb.t.Fatalf("sandbox control %s %s: %v: %s", method, path, err, b)
		}
	}
}

func (sb *sandbox) Stats() zoomsandbox.Stats {
	sb.t.Helper()
	var s zoomsandbox.Stats
	sb.control("GET", "stats", nil, &s)
	return s
}

// recorded is a request the sandbox received (secrets redacted by it).
type recorded struct {
	Method   string `json:"method"`
	Path     string `json:"path"`
	RawQuery string `json:"raw_query"`
	Body     string `json:"body"`
}

func (r recorded) String() string { return r.Method + " " + r.Path }

func (sb *sandbox) Requests() []recorded {
	sb.t.Helper()
	var rs []recorded
	sb.control("GET", "requests", nil, &rs)
	return rs
}

func (sb *sandbox) ResetRequests() { sb.t.Helper(); sb.control("DELETE", "requests", nil, nil) }

func (sb *sandbox) Fault(f zoomsandbox.Fault) { sb.t.Helper(); sb.control("POST", "faults", f, nil) }

func (sb *sandbox) Advance(d time.Duration) {
	sb.t.Helper()
	sb.control("POST", "clock", map[string]string{"advance": d.String()}, nil)
}

// Meeting reads a meeting straight from the sandbox's API (with a minted
// token), numbers kept exact.
func (sb *sandbox) Meeting(id string) (int, map[string]any) {
	sb.t.Helper()
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	sb.control("POST", "tokens", map[string]string{"app": zoomsandbox.DefaultClientID}, &tok)
	req, _ := http.NewRequest("GET", sb.URL+"/v2/meetings/"+id, nil)
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	resp, err := httpClient.Do(req)
	if err != nil {
		sb.t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	dec := json.NewDecoder(resp.Body)
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		sb.t.Fatal(err)
	}
	return resp.StatusCode, m
}

// Secrets are the sandbox apps' client secrets.
func (sb *sandbox) Secrets() []string { return []string{sb.UserSecret, sb.S2SSecret} }

// oauth2JSON is the stdin of credentials create for a zoomOAuth2Api
// credential against this sandbox.
func (sb *sandbox) oauth2JSON() string {
	return mustJSON(map[string]string{
		"environment": "custom", "oauthBaseUrl": sb.URL, "apiBaseUrl": sb.URL,
		"clientId": zoomsandbox.DefaultClientID, "clientSecret": sb.UserSecret,
	})
}

// s2sJSON is the stdin for a zoomServerToServerOAuthApi credential; secret
// "" means the right one.
func (sb *sandbox) s2sJSON(secret string) string {
	if secret == "" {
		secret = sb.S2SSecret
	}
	return mustJSON(map[string]string{
		"environment": "custom", "oauthBaseUrl": sb.URL, "apiBaseUrl": sb.URL,
		"accountId": zoomsandbox.DefaultAccountID, "clientId": zoomsandbox.DefaultS2SClientID, "clientSecret": secret,
	})
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// ---- running nodeplug ----

// np runs nodeplug with its own data directory and a controlled
// environment (nothing of the test process's is inherited).
type np struct {
	t       *testing.T
	dataDir string
	env     []string
}

// newNP returns a runner with a fresh data dir; extra are NAME=VALUE pairs.
func newNP(t *testing.T, extra ...string) *np {
	t.Helper()
	home := t.TempDir()
	e := &np{t: t, dataDir: filepath.Join(home, "data")}
	e.env = []string{
		"HOME=" + home,
		"PATH=/usr/local/bin:/usr/bin:/bin",
		"NODEPLUG_DATA_DIR=" + e.dataDir,
		"NODEPLUG_PLUGIN_DIR=" + bins.pluginDir,
	}
	return e.with(extra...)
}

// with returns a runner on the same data dir with variables set or replaced.
func (e *np) with(kv ...string) *np {
	c := &np{t: e.t, dataDir: e.dataDir}
	set := map[string]bool{}
	for _, v := range kv {
		k, _, _ := strings.Cut(v, "=")
		set[k] = true
	}
	for _, v := range e.env {
		k, _, _ := strings.Cut(v, "=")
		if !set[k] {
			c.env = append(c.env, v)
		}
	}
	c.env = append(c.env, kv...)
	return c
}

// envNames are the names of the variables nodeplug runs with.
func (e *np) envNames() []string {
	var out []string
	for _, v := range e.env {
		k, _, _ := strings.Cut(v, "=")
		out = append(out, k)
	}
	return out
}

type result struct {
	args           []string
	stdout, stderr string
	code           int
}

// ok fails the test unless the command exited 0.
func (r result) ok(t *testing.T) result {
	t.Helper()
	if r.code != 0 {
		t.Fatalf("nodeplug %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(r.args, " "), r.code, r.stdout, r.stderr)
	}
	return r
}

// fails fails the test unless the command exited with code.
func (r result) fails(t *testing.T, code int) result {
	t.Helper()
	if r.code != code {
		t.Fatalf("nodeplug %s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", strings.Join(r.args, " "), r.code, code, r.stdout, r.stderr)
	}
	return r
}

func (r result) all() string { return r.stdout + r.stderr }

// run runs nodeplug with stdin and args and waits (at most 2 minutes).
func (e *np) run(stdin string, args ...string) result {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bins.nodeplug, args...)
	cmd.Env = e.env
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	r := result{args: args, stdout: out.String(), stderr: errb.String()}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	default:
		e.t.Fatalf("nodeplug %s: %v", strings.Join(args, " "), err)
	}
	if ctx.Err() != nil {
		e.t.Fatalf("nodeplug %s did not finish in time", strings.Join(args, " "))
	}
	return r
}

// bg is a nodeplug process running in the background.
type bg struct {
	cmd       *exec.Cmd
	out, errb *lockedBuffer
	done      chan struct{}
	code      int
	waitErr   error
	args      []string
}

// lockedBuffer is a bytes.Buffer safe for a writer and readers.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// start starts nodeplug in the background; it is killed at cleanup if it
// still runs.
func (e *np) start(args ...string) *bg {
	e.t.Helper()
	p := &bg{cmd: exec.Command(bins.nodeplug, args...), out: &lockedBuffer{}, errb: &lockedBuffer{}, done: make(chan struct{}), args: args}
	p.cmd.Env = e.env
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.errb
	if err := p.cmd.Start(); err != nil {
		e.t.Fatal(err)
	}
	go func() {
		p.waitErr = p.cmd.Wait()
		var ee *exec.ExitError
		if errors.As(p.waitErr, &ee) {
			p.code = ee.ExitCode()
		}
		close(p.done)
	}()
	e.t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			_ = p.cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

// wait waits for the process to end within timeout.
func (p *bg) wait(t *testing.T, timeout time.Duration) result {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(timeout):
		t.Fatalf("nodeplug %s still runs after %s\nstderr:\n%s", strings.Join(p.args, " "), timeout, p.errb.String())
	}
	return result{args: p.args, stdout: p.out.String(), stderr: p.errb.String(), code: p.code}
}

// createCred runs credentials create with properties as JSON on stdin.
func (e *np) createCred(typ, name, props string) result {
	e.t.Helper()
	return e.run(props, "credentials", "create", "--type", typ, "--name", name).ok(e.t)
}

// connect runs credentials connect NAME in the background, follows the
// authorize URL it prints with an HTTP client that follows redirects (the
// sandbox redirects to nodeplug's callback) and waits for it to finish.
func (e *np) connect(name string) {
	e.t.Helper()
	t := e.t
	cb := fmt.Sprintf("http://127.0.0.1:%d/oauth2/callback", freePort(t))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bins.nodeplug, "credentials", "connect", name, "--callback-url", cb)
	cmd.Env = e.env
	var errb bytes.Buffer
	cmd.Stderr = &errb
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	var out []string
	authURL := ""
	for authURL == "" {
		select {
		case l, ok := <-lines:
			if !ok {
				_ = cmd.Wait()
				t.Fatalf("connect %s ended without printing an authorize URL:\n%s\nstderr:\n%s", name, strings.Join(out, "\n"), errb.String())
			}
			out = append(out, l)
			if strings.HasPrefix(l, "http") {
				authURL = l
			}
		case <-ctx.Done():
			t.Fatalf("connect %s printed no authorize URL within a minute:\n%s", name, strings.Join(out, "\n"))
		}
	}
	if !strings.Contains(strings.Join(out, "\n"), cb) {
		t.Errorf("connect did not print its callback URL %s:\n%s", cb, strings.Join(out, "\n"))
	}
	resp, err := httpClient.Get(authURL)
	if err != nil {
		t.Fatalf("following the authorize URL: %v", err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Request.URL.Host != strings.TrimPrefix(strings.TrimSuffix(cb, "/oauth2/callback"), "http://") {
		t.Fatalf("the redirect flow ended at %s with %s:\n%s", resp.Request.URL, resp.Status, page)
	}
	for l := range lines {
		out = append(out, l)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("connect %s: %v\nstdout:\n%s\nstderr:\n%s", name, err, strings.Join(out, "\n"), errb.String())
	}
	if last := out[len(out)-1]; !strings.HasPrefix(last, fmt.Sprintf("Connected %q", name)) {
		t.Fatalf("connect's last line = %q, want Connected %q …", last, name)
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// execution is one entry of executions list -o json.
type execution struct {
	ID           int64     `json:"id"`
	WorkflowName string    `json:"workflow"`
	Status       string    `json:"status"`
	FinishedAt   time.Time `json:"finishedAt"`
	Error        string    `json:"error"`
}

func (e *np) executions() []execution {
	e.t.Helper()
	r := e.run("", "executions", "list", "-o", "json").ok(e.t)
	var es []execution
	if err := json.Unmarshal([]byte(r.stdout), &es); err != nil {
		e.t.Fatalf("executions list -o json: %v\n%s", err, r.stdout)
	}
	return es
}

// ---- workflows ----

// zoomNode is one Zoom node of a generated workflow.
type zoomNode struct {
	Name   string
	Params map[string]any
}

// authFor is the Zoom node's authentication value for a credential type.
var authFor = map[string]string{
	"zoomOAuth2Api":              "oAuth2",
	"zoomServerToServerOAuthApi": "serverToServerOAuth",
	"zoomApi":                    "accessToken",
}

// writeWorkflow writes an n8n export: a manual trigger followed by the Zoom
// nodes in a chain, each using credential credName of type credType.
func writeWorkflow(t *testing.T, name, credType, credName string, nodes ...zoomNode) string {
	t.Helper()
	all := []map[string]any{{
		"parameters": map[string]any{}, "name": "Start", "type": "n8n-nodes-base.manualTrigger",
		"typeVersion": 1, "position": []int{0, 0}, "id": "start",
	}}
	conns := map[string]any{}
	prev := "Start"
	for i, n := range nodes {
		params := map[string]any{"authentication": authFor[credType]}
		for k, v := range n.Params {
			params[k] = v
		}
		all = append(all, map[string]any{
			"parameters": params, "name": n.Name, "type": "n8n-nodes-base.zoom", "typeVersion": 1,
			"position": []int{200 * (i + 1), 0}, "id": "n" + strconv.Itoa(i),
			"credentials": map[string]any{credType: map[string]string{"id": "", "name": credName}},
		})
		conns[prev] = map[string]any{"main": [][]map[string]any{{{"node": n.Name, "type": "main", "index": 0}}}}
		prev = n.Name
	}
	path := filepath.Join(t.TempDir(), "workflow.json")
	if err := os.WriteFile(path, []byte(mustJSON(map[string]any{"name": name, "nodes": all, "connections": conns})), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// example is the path of a file in examples/.
func example(name string) string { return filepath.Join(bins.repo, "examples", name) }

// decodeItems decodes run's stdout (the last node's items), numbers exact.
func decodeItems(t *testing.T, stdout string) []map[string]any {
	t.Helper()
	var items []map[string]any
	dec := json.NewDecoder(strings.NewReader(stdout))
	dec.UseNumber()
	if err := dec.Decode(&items); err != nil {
		t.Fatalf("run's stdout is not a JSON array of items: %v\n%s", err, stdout)
	}
	return items
}

// ---- secrets and processes ----

// assertNoSecret fails when data contains any of the secrets or a sandbox
// token. The message names the secret by position, never by value.
func assertNoSecret(t *testing.T, where string, data []byte, secrets ...string) {
	t.Helper()
	for i, s := range secrets {
		if s != "" && bytes.Contains(data, []byte(s)) {
			t.Errorf("%s contains secret #%d of %d given (%d chars)", where, i+1, len(secrets), len(s))
		}
	}
	for _, m := range tokenMarkers {
		if bytes.Contains(data, []byte(m)) {
			t.Errorf("%s contains a token issued by the sandbox (%s…)", where, m)
		}
	}
}

// childPids lists the processes whose parent is pid (from /proc).
func childPids(t *testing.T, pid int) []int {
	t.Helper()
	ents, err := os.ReadDir("/proc")
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	var out []int
	for _, e := range ents {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if st, ok := procStat(p); ok && st.ppid == pid {
			out = append(out, p)
		}
	}
	return out
}

type stat struct {
	comm  string
	state byte
	ppid  int
}

// procStat parses /proc/PID/stat.
func procStat(pid int) (stat, bool) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return stat{}, false
	}
	s := string(b)
	open, end := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
	if open < 0 || end < 0 || end+2 >= len(s) {
		return stat{}, false
	}
	f := strings.Fields(s[end+2:])
	if len(f) < 2 {
		return stat{}, false
	}
	ppid, _ := strconv.Atoi(f[1])
	return stat{comm: s[open+1 : end], state: f[0][0], ppid: ppid}, true
}

// running reports whether pid exists and is not a zombie.
func running(pid int) bool {
	st, ok := procStat(pid)
	return ok && st.state != 'Z'
}

// pluginChild waits for nodeplug (pid) to have its nodeplug-zoom child and
// returns the child's pid.
func pluginChild(t *testing.T, pid int) int {
	t.Helper()
	child := 0
	waitUntil(t, 20*time.Second, "the nodeplug-zoom child process", func() bool {
		for _, c := range childPids(t, pid) {
			if st, _ := procStat(c); st.comm == "nodeplug-zoom" {
				child = c
				return true
			}
		}
		return false
	})
	return child
}

// waitForRequest waits until the sandbox has received a request matching.
func (sb *sandbox) waitForRequest(what string, match func(recorded) bool) {
	sb.t.Helper()
	waitUntil(sb.t, 30*time.Second, what, func() bool {
		for _, r := range sb.Requests() {
			if match(r) {
				return true
			}
		}
		return false
	})
}

func isMeetingCreate(r recorded) bool {
	return r.Method == "POST" && strings.HasPrefix(r.Path, "/v2/users/") && strings.HasSuffix(r.Path, "/meetings")
}

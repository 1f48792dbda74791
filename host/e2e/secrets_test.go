package e2e_test

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nodeplug/nodeplug/zoomsandbox"
)

// TestNoSecretInClear: after connecting, testing and running (with a
// refresh), no client secret, token, JWT or encryption key is in the SQLite
// files, in the output of a run at --log-level trace, or in the arguments or
// environment of the nodeplug process and its plugin; and the plugin's
// environment holds none of the host's variables.
func TestNoSecretInClear(t *testing.T) {
	t.Parallel()
	sb := startSandbox(t)
	key := newKey()
	const markerName = "NODEPLUG_E2E_HOST_MARKER"
	e := newNP(t, "NODEPLUG_ENCRYPTION_KEY="+key, markerName+"="+randHex(8))
	jwt := jwtToken()
	secrets := []string{sb.UserSecret, sb.S2SSecret, jwt, key}
	var outputs []result

	e.createCred("zoomOAuth2Api", "Zoom account", sb.oauth2JSON())
	e.connect("Zoom account")
	e.createCred("zoomServerToServerOAuthApi", "Zoom S2S", sb.s2sJSON(""))
	e.createCred("zoomApi", "Old JWT", mustJSON(map[string]string{"accessToken": jwt, "environment": "custom", "apiBaseUrl": sb.URL}))
	outputs = append(outputs,
		e.run("", "--log-level", "trace", "credentials", "test", "Zoom S2S").ok(t),
		e.run("", "--log-level", "trace", "credentials", "test", "Old JWT"),
		e.run("", "--log-level", "trace", "credentials", "list"),
		e.run("", "--log-level", "trace", "credentials", "show", "Zoom account", "-o", "json"),
	)

	// A run at trace level that refreshes the token on the way.
	sb.Advance(2 * time.Hour)
	r := e.run("", "--log-level", "trace", "run", example("zoom-create-meeting.json")).ok(t)
	outputs = append(outputs, r)
	if st := sb.Stats(); st.Refreshes != 1 {
		t.Errorf("the traced run made %d refreshes, want 1", st.Refreshes)
	}
	if !strings.Contains(r.stderr, "[TRACE]") && !strings.Contains(r.stderr, "[DEBUG]") {
		t.Errorf("--log-level trace logged nothing at debug or trace level:\n%s", r.stderr)
	}
	for i, o := range outputs {
		assertNoSecret(t, fmt.Sprintf("stdout of command %d (%v)", i, o.args), []byte(o.stdout), secrets...)
		assertNoSecret(t, fmt.Sprintf("stderr of command %d (%v)", i, o.args), []byte(o.stderr), secrets...)
	}

	// Hold a run inside the plugin (the sandbox delays the meeting request)
	// and look at both processes.
	sb.ResetRequests()
	sb.Fault(zoomsandbox.Fault{PathPrefix: "/v2/users/", Method: "POST", Delay: time.Minute})
	p := e.start("--log-level", "trace", "run", example("zoom-create-meeting.json"))
	sb.waitForRequest("the held meeting request", isMeetingCreate)
	host := p.cmd.Process.Pid
	plugin := pluginChild(t, host)
	read := func(pid int, file string) []byte {
		t.Helper()
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/%s", pid, file))
		if err != nil {
			t.Fatalf("reading /proc/%d/%s: %v", pid, file, err)
		}
		return b
	}
	assertNoSecret(t, "nodeplug's command line", read(host, "cmdline"), secrets...)
	assertNoSecret(t, "nodeplug's environment", read(host, "environ"), sb.UserSecret, sb.S2SSecret, jwt)
	assertNoSecret(t, "the plugin's command line", read(plugin, "cmdline"), secrets...)
	penv := read(plugin, "environ")
	assertNoSecret(t, "the plugin's environment", penv, secrets...)
	names := map[string]bool{}
	for _, kv := range bytes.Split(penv, []byte{0}) {
		if k, _, ok := strings.Cut(string(kv), "="); ok {
			names[k] = true
		}
	}
	if !names["NODEPLUG_PLUGIN_MAGIC_COOKIE"] {
		t.Errorf("read the wrong process? the plugin's environment has no go-plugin cookie: %v", names)
	}
	for _, k := range e.envNames() {
		if names[k] {
			t.Errorf("the plugin's environment has the host's variable %s", k)
		}
	}
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	held := p.wait(t, 30*time.Second)
	assertNoSecret(t, "stderr of the held run", []byte(held.stderr), secrets...)
	assertNoSecret(t, "stdout of the held run", []byte(held.stdout), secrets...)

	// At rest: the database and its WAL and shared-memory files.
	found := 0
	for _, suffix := range []string{"", "-wal", "-shm", "-journal"} {
		path := filepath.Join(e.dataDir, "nodeplug.db"+suffix)
		b, err := os.ReadFile(path)
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		found++
		assertNoSecret(t, filepath.Base(path), b, secrets...)
	}
	if found == 0 {
		t.Fatalf("no database in %s", e.dataDir)
	}
}

func hashFile(t *testing.T, path string) [32]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(b)
}

// TestWrongEncryptionKey: with another key every command fails with an
// error about the key and the database file is not touched.
func TestWrongEncryptionKey(t *testing.T) {
	t.Parallel()
	sb := startSandbox(t)
	keyA, keyB := newKey(), newKey()
	e := newNP(t, "NODEPLUG_ENCRYPTION_KEY="+keyA)
	e.createCred("zoomServerToServerOAuthApi", "Zoom S2S", sb.s2sJSON(""))
	e.run("", "credentials", "test", "Zoom S2S").ok(t)
	db := filepath.Join(e.dataDir, "nodeplug.db")
	before := hashFile(t, db)
	requests := len(sb.Requests())
	wf := listWorkflow(t, "zoomServerToServerOAuthApi", "Zoom S2S")

	commands := []struct {
		stdin string
		args  []string
	}{
		{"", []string{"credentials", "list"}},
		{"", []string{"credentials", "test", "Zoom S2S"}},
		{sb.s2sJSON(""), []string{"credentials", "create", "--type", "zoomServerToServerOAuthApi", "--name", "Another"}},
		{"", []string{"credentials", "delete", "Zoom S2S"}},
		{"", []string{"run", wf}},
		{"", []string{"executions", "list"}},
	}
	for _, env := range []struct {
		name string
		np   *np
		want []string
	}{
		{"another key", e.with("NODEPLUG_ENCRYPTION_KEY=" + keyB), []string{"encryption key does not match", "NODEPLUG_ENCRYPTION_KEY", "nothing was changed"}},
		{"not a key", e.with("NODEPLUG_ENCRYPTION_KEY=not-a-key"), []string{"NODEPLUG_ENCRYPTION_KEY", "base64"}},
		{"no key: the key file is missing", e.with("NODEPLUG_ENCRYPTION_KEY="), []string{"key file", "encryption.key", "is missing", "nothing was changed"}},
	} {
		for _, c := range commands {
			r := env.np.run(c.stdin, c.args...)
			if r.code != 1 {
				t.Errorf("%s: nodeplug %v: exit %d, want 1\n%s", env.name, c.args, r.code, r.all())
				continue
			}
			for _, w := range env.want {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("%s: nodeplug %v: stderr does not contain %q:\n%s", env.name, c.args, w, r.stderr)
				}
			}
			assertNoSecret(t, "stderr", []byte(r.stderr), keyA, keyB, sb.S2SSecret)
		}
	}
	if after := hashFile(t, db); after != before {
		t.Error("the database file changed when opened with a wrong key")
	}
	if _, err := os.Stat(filepath.Join(e.dataDir, "encryption.key")); err == nil {
		t.Error("a new key file was generated for an existing database")
	}
	if n := len(sb.Requests()); n != requests {
		t.Errorf("the sandbox received %d requests during the failed commands", n-requests)
	}
	r := e.run("", "credentials", "list").ok(t)
	if !strings.Contains(r.stdout, "Zoom S2S") {
		t.Errorf("with the right key again: %q", r.stdout)
	}
}

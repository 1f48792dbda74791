package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/nodeplug/nodeplug/host/secrets"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 123456789, time.UTC)

func newCipher(t *testing.T) *secrets.Cipher {
	t.Helper()
	key, err := secrets.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	c, err := secrets.NewCipher(key)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func openStore(t *testing.T, path string, c *secrets.Cipher, opts ...Option) *Store {
	t.Helper()
	s, err := Open(context.Background(), path, c, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// fixedClock returns a clock that advances one second per call from t0.
func fixedClock() func() time.Time {
	var mu sync.Mutex
	n := 0
	return func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		n++
		return t0.Add(time.Duration(n) * time.Second)
	}
}

func sampleToken(suffix string) *Token {
	return &Token{
		AccessToken:  "at-" + suffix,
		RefreshToken: "rt-" + suffix,
		TokenType:    "bearer",
		Expiry:       t0.Add(time.Hour),
		Scope:        "meeting:read user:read",
		Extra:        map[string]string{"api_url": "https://api.example.test"},
		ObtainedAt:   t0,
	}
}

func TestCredentialCRUD(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openStore(t, filepath.Join(t.TempDir(), "np.db"), newCipher(t), WithClock(fixedClock()))

	in := &Credential{
		Name: "zoom-main",
		Type: "zoomOAuth2Api",
		Data: map[string]any{"clientId": "cid", "clientSecret": "csecret", "pkce": true, "timeout": 30.0},
	}
	if err := s.CreateCredential(ctx, in); err != nil {
		t.Fatal(err)
	}
	if len(in.ID) != 16 {
		t.Errorf("assigned ID %q, want 16 hex characters", in.ID)
	}
	if in.Status != StatusNew || in.CreatedAt.IsZero() || !in.UpdatedAt.Equal(in.CreatedAt) {
		t.Errorf("CreateCredential did not fill defaults: %v", in)
	}
	other := &Credential{Name: "s2s", Type: "zoomServerToServerOAuth2Api", Data: map[string]any{"accountId": "acc"}}
	if err := s.CreateCredential(ctx, other); err != nil {
		t.Fatal(err)
	}

	for _, key := range []string{in.ID, in.Name} {
		got, err := s.Credential(ctx, key)
		if err != nil {
			t.Fatalf("Credential(%q): %v", key, err)
		}
		if diff := cmp.Diff(in, got); diff != "" {
			t.Errorf("Credential(%q) mismatch (-want +got):\n%s", key, diff)
		}
	}

	tok := sampleToken("1")
	if err := s.SetToken(ctx, in.ID, tok); err != nil {
		t.Fatal(err)
	}
	got, err := s.Credential(ctx, in.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(tok, got.Token); diff != "" {
		t.Errorf("token after SetToken mismatch (-want +got):\n%s", diff)
	}
	if got.Status != StatusConnected || got.StatusMessage != "" {
		t.Errorf("status after SetToken = %q %q, want connected", got.Status, got.StatusMessage)
	}
	if !got.UpdatedAt.After(in.UpdatedAt) {
		t.Errorf("UpdatedAt %v not advanced past %v", got.UpdatedAt, in.UpdatedAt)
	}

	if err := s.SetStatus(ctx, in.ID, StatusNeedsReconnect, "refresh token revoked"); err != nil {
		t.Fatal(err)
	}
	list, err := s.ListCredentials(ctx)
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		Name, Status, Msg string
		HasToken          bool
	}
	var rows []row
	for _, c := range list {
		rows = append(rows, row{c.Name, string(c.Status), c.StatusMessage, c.Token != nil})
	}
	want := []row{{"s2s", "new", "", false}, {"zoom-main", "needs_reconnect", "refresh token revoked", true}}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("ListCredentials mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(tok, list[1].Token); diff != "" {
		t.Errorf("listed token mismatch (-want +got):\n%s", diff)
	}

	if err := s.SetToken(ctx, in.ID, nil); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Credential(ctx, in.ID); got.Token != nil || got.Status != StatusNew {
		t.Errorf("after SetToken(nil): token %v status %q, want nil and new", got.Token, got.Status)
	}

	if err := s.DeleteCredential(ctx, in.Name); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Credential(ctx, in.ID); !errors.Is(err, ErrCredentialNotFound) {
		t.Errorf("Credential after delete: err = %v, want ErrCredentialNotFound", err)
	}
	if list, _ := s.ListCredentials(ctx); len(list) != 1 || list[0].Name != "s2s" {
		t.Errorf("ListCredentials after delete = %v, want only s2s", list)
	}
}

func TestCreateCredentialDuplicateName(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openStore(t, filepath.Join(t.TempDir(), "np.db"), newCipher(t))
	if err := s.CreateCredential(ctx, &Credential{Name: "dup", Type: "x", Data: map[string]any{"a": "1"}}); err != nil {
		t.Fatal(err)
	}
	err := s.CreateCredential(ctx, &Credential{Name: "dup", Type: "y"})
	if !errors.Is(err, ErrCredentialExists) {
		t.Fatalf("err = %v, want ErrCredentialExists", err)
	}
	if !strings.Contains(err.Error(), `"dup"`) {
		t.Errorf("error %q does not name the credential", err)
	}
	got, err := s.Credential(ctx, "dup")
	if err != nil {
		t.Fatal(err)
	}
	if got.Type != "x" {
		t.Errorf("the duplicate overwrote the original: type %q", got.Type)
	}
}

func TestCreateCredentialValidation(t *testing.T) {
	t.Parallel()
	s := openStore(t, filepath.Join(t.TempDir(), "np.db"), newCipher(t))
	tests := map[string]struct {
		c    *Credential
		want string
	}{
		"empty name":    {c: &Credential{Type: "x"}, want: "name is empty"},
		"padded name":   {c: &Credential{Name: " a ", Type: "x"}, want: "leading or trailing spaces"},
		"control char":  {c: &Credential{Name: "a\nb", Type: "x"}, want: "control characters"},
		"empty type":    {c: &Credential{Name: "a"}, want: "type is empty"},
		"bad status":    {c: &Credential{Name: "a", Type: "x", Status: "weird"}, want: "unknown status"},
		"nil":           {c: nil, want: "nil credential"},
		"unmarshalable": {c: &Credential{Name: "a", Type: "x", Data: map[string]any{"f": func() {}}}, want: "encode credential data"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			err := s.CreateCredential(context.Background(), tc.c)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want one containing %q", err, tc.want)
			}
		})
	}
	if list, err := s.ListCredentials(context.Background()); err != nil || len(list) != 0 {
		t.Errorf("invalid credentials were stored: %v (err %v)", list, err)
	}
}

func TestCredentialNotFound(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openStore(t, filepath.Join(t.TempDir(), "np.db"), newCipher(t))
	tests := map[string]func() error{
		"Credential":       func() error { _, err := s.Credential(ctx, "nope"); return err },
		"DeleteCredential": func() error { return s.DeleteCredential(ctx, "nope") },
		"SetToken":         func() error { return s.SetToken(ctx, "nope", sampleToken("x")) },
		"SetStatus":        func() error { return s.SetStatus(ctx, "nope", StatusConnected, "") },
		"WithCredentialLock": func() error {
			return s.WithCredentialLock(ctx, "nope", func(context.Context, *Credential, CredentialTx) error {
				t.Error("fn called for a missing credential")
				return nil
			})
		},
	}
	for name, call := range tests {
		t.Run(name, func(t *testing.T) {
			err := call()
			if !errors.Is(err, ErrCredentialNotFound) {
				t.Fatalf("err = %v, want ErrCredentialNotFound", err)
			}
			if !strings.Contains(err.Error(), `"nope"`) {
				t.Errorf("error %q does not name the credential", err)
			}
		})
	}
}

// fileDigests hashes every file in dir (name -> sha256).
func fileDigests(t *testing.T, dir string) map[string]string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if len(b) == 0 {
			continue // an empty -wal/-shm may come and go
		}
		out[e.Name()] = fmt.Sprintf("%x", sha256.Sum256(b))
	}
	return out
}

func TestOpenWrongKeyChangesNothing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "np.db")
	right := newCipher(t)

	s, err := Open(ctx, path, right)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CreateCredential(ctx, &Credential{Name: "c", Type: "x", Data: map[string]any{"k": "v"}, Token: sampleToken("w")}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	before := fileDigests(t, dir)
	if _, ok := before["np.db"]; !ok {
		t.Fatal("database file missing")
	}

	_, err = Open(ctx, path, newCipher(t))
	if !errors.Is(err, ErrWrongKey) {
		t.Fatalf("Open with another key: err = %v, want ErrWrongKey", err)
	}
	for _, want := range []string{"does not match the one this database was created with", "nothing was changed", "NODEPLUG_ENCRYPTION_KEY", "encryption.key"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if diff := cmp.Diff(before, fileDigests(t, dir)); diff != "" {
		t.Errorf("files changed by a wrong-key open (-before +after):\n%s", diff)
	}

	s = openStore(t, path, right)
	got, err := s.Credential(ctx, "c")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(sampleToken("w"), got.Token); diff != "" {
		t.Errorf("token after reopening with the right key (-want +got):\n%s", diff)
	}
}

func TestSecretsNotInClear(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "np.db")
	s, err := Open(ctx, path, newCipher(t))
	if err != nil {
		t.Fatal(err)
	}
	secretValues := []string{
		"client-secret-VALUE-1f9a",
		"client-id-VALUE-77c1",
		"account-id-VALUE-0b3e",
		"ACCESS-TOKEN-VALUE-d00d",
		"REFRESH-TOKEN-VALUE-beef",
		"ROTATED-REFRESH-VALUE-cafe",
	}
	c := &Credential{
		Name: "visible-name-zoom",
		Type: "visibleTypeZoomOAuth2",
		Data: map[string]any{"clientSecret": secretValues[0], "clientId": secretValues[1], "accountId": secretValues[2]},
		Token: &Token{
			AccessToken:  secretValues[3],
			RefreshToken: secretValues[4],
			Expiry:       t0,
		},
	}
	if err := s.CreateCredential(ctx, c); err != nil {
		t.Fatal(err)
	}
	if err := s.WithCredentialLock(ctx, c.ID, func(ctx context.Context, cur *Credential, tx CredentialTx) error {
		nt := cur.Token.Clone()
		nt.RefreshToken = secretValues[5]
		return tx.SetToken(ctx, nt)
	}); err != nil {
		t.Fatal(err)
	}

	check := func(stage string) {
		t.Helper()
		var all []byte
		for _, suffix := range []string{"", "-wal", "-shm", "-journal"} {
			b, err := os.ReadFile(path + suffix)
			if errors.Is(err, os.ErrNotExist) {
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, v := range secretValues {
				if bytes.Contains(b, []byte(v)) {
					t.Errorf("%s: %s holds the secret %q in clear", stage, filepath.Base(path+suffix), v)
				}
			}
			all = append(all, b...)
		}
		// The clear columns are there, so the files really hold the data.
		if !bytes.Contains(all, []byte("visible-name-zoom")) {
			t.Errorf("%s: credential name not found in the database files; the check reads the wrong bytes", stage)
		}
	}
	check("open (WAL)")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	check("closed")
}

func TestMigrationsRecordedOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "np.db")
	c := newCipher(t)
	for range 2 {
		s, err := Open(ctx, path, c)
		if err != nil {
			t.Fatal(err)
		}
		var versions []int
		rows, err := s.db.QueryContext(ctx, `SELECT version FROM schema_version ORDER BY version`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var v int
			if err := rows.Scan(&v); err != nil {
				t.Fatal(err)
			}
			versions = append(versions, v)
		}
		rows.Close()
		var want []int
		for i := range migrations {
			want = append(want, i+1)
		}
		if diff := cmp.Diff(want, versions); diff != "" {
			t.Errorf("schema_version rows mismatch (-want +got):\n%s", diff)
		}
		var mode string
		if err := s.db.QueryRowContext(ctx, `PRAGMA journal_mode`).Scan(&mode); err != nil || mode != "wal" {
			t.Errorf("journal_mode = %q (err %v), want wal", mode, err)
		}
		var fk, busy int
		if err := s.db.QueryRowContext(ctx, `PRAGMA foreign_keys`).Scan(&fk); err != nil || fk != 1 {
			t.Errorf("foreign_keys = %d (err %v), want 1", fk, err)
		}
		if err := s.db.QueryRowContext(ctx, `PRAGMA busy_timeout`).Scan(&busy); err != nil || busy != 30000 {
			t.Errorf("busy_timeout = %d (err %v), want 30000", busy, err)
		}
		var fp string
		if err := s.db.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = 'key_fingerprint'`).Scan(&fp); err != nil || fp != c.Fingerprint() {
			t.Errorf("stored fingerprint = %q (err %v), want %q", fp, err, c.Fingerprint())
		}
		s.Close()
	}
}

func TestOpenSchemaTooNew(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "np.db")
	c := newCipher(t)
	s := openStore(t, path, c)
	if _, err := s.db.ExecContext(ctx, `INSERT INTO schema_version (version, applied_at) VALUES (999, 'x')`); err != nil {
		t.Fatal(err)
	}
	s.Close()
	_, err := Open(ctx, path, c)
	if !errors.Is(err, ErrSchemaTooNew) || !strings.Contains(err.Error(), "upgrade nodeplug") {
		t.Errorf("err = %v, want ErrSchemaTooNew telling to upgrade", err)
	}
}

func TestWithCredentialLockSerialises(t *testing.T) {
	t.Parallel()
	tests := map[string]struct{ stores int }{
		"one store, many goroutines":         {stores: 1},
		"two stores on one file (processes)": {stores: 2},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			path := filepath.Join(t.TempDir(), "np.db")
			c := newCipher(t)
			stores := make([]*Store, tc.stores)
			for i := range stores {
				stores[i] = openStore(t, path, c)
			}
			cred := &Credential{Name: "c", Type: "x", Token: &Token{AccessToken: "0", RefreshToken: "rt-0"}}
			if err := stores[0].CreateCredential(ctx, cred); err != nil {
				t.Fatal(err)
			}

			const workers = 8
			start := make(chan struct{})
			var wg sync.WaitGroup
			seen := make([]int, workers)
			errs := make([]error, workers)
			for w := range workers {
				st := stores[w%len(stores)]
				wg.Go(func() {
					<-start
					errs[w] = st.WithCredentialLock(ctx, cred.ID, func(ctx context.Context, cur *Credential, tx CredentialTx) error {
						n, err := strconv.Atoi(cur.Token.AccessToken)
						if err != nil {
							return err
						}
						if cur.Token.RefreshToken != "rt-"+cur.Token.AccessToken {
							return fmt.Errorf("saw a torn token %v", cur.Token)
						}
						seen[w] = n
						next := strconv.Itoa(n + 1)
						return tx.SetToken(ctx, &Token{AccessToken: next, RefreshToken: "rt-" + next})
					})
				})
			}
			close(start)
			wg.Wait()
			for w, err := range errs {
				if err != nil {
					t.Fatalf("worker %d: %v", w, err)
				}
			}
			got, err := stores[len(stores)-1].Credential(ctx, cred.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.Token.AccessToken != strconv.Itoa(workers) {
				t.Errorf("final counter = %s, want %d (lost updates)", got.Token.AccessToken, workers)
			}
			// Each holder saw the previous holder's write: values 0..workers-1 once each.
			distinct := map[int]bool{}
			for _, n := range seen {
				distinct[n] = true
			}
			if len(distinct) != workers {
				t.Errorf("holders saw %v, want every value 0..%d exactly once", seen, workers-1)
			}
		})
	}
}

func TestWithCredentialLockRollsBackOnError(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openStore(t, filepath.Join(t.TempDir(), "np.db"), newCipher(t))
	cred := &Credential{Name: "c", Type: "x", Token: sampleToken("old")}
	if err := s.CreateCredential(ctx, cred); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	err := s.WithCredentialLock(ctx, cred.ID, func(ctx context.Context, cur *Credential, tx CredentialTx) error {
		if err := tx.SetToken(ctx, sampleToken("new")); err != nil {
			return err
		}
		if err := tx.SetStatus(ctx, StatusNeedsReconnect, "x"); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want fn's error", err)
	}
	got, err := s.Credential(ctx, cred.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(sampleToken("old"), got.Token); diff != "" || got.Status != StatusConnected {
		t.Errorf("writes were not rolled back: status %q, token diff:\n%s", got.Status, diff)
	}
	// The connection is usable again (no transaction left open).
	if err := s.SetStatus(ctx, cred.ID, StatusConnected, "ok"); err != nil {
		t.Fatalf("store unusable after rollback: %v", err)
	}
}

func TestRedaction(t *testing.T) {
	t.Parallel()
	tok := &Token{AccessToken: "AT-SECRET-1", RefreshToken: "RT-SECRET-2", TokenType: "bearer", Expiry: t0, Extra: map[string]string{"api_url": "https://api.example.test"}}
	c := Credential{ID: "abc", Name: "n", Type: "t", Data: map[string]any{"clientSecret": "CS-SECRET-3", "clientId": "CID-SECRET-4"}, Token: tok, Status: StatusConnected}
	forbidden := []string{"AT-SECRET-1", "RT-SECRET-2", "CS-SECRET-3", "CID-SECRET-4"}

	outputs := map[string]string{}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%d"} {
		outputs["cred "+verb] = fmt.Sprintf(verb, c)
		outputs["*cred "+verb] = fmt.Sprintf(verb, &c)
		outputs["tok "+verb] = fmt.Sprintf(verb, tok)
		outputs["[]cred "+verb] = fmt.Sprintf(verb, []Credential{c})
	}
	for name, v := range map[string]any{"cred": c, "tok": tok} {
		js, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		outputs["json "+name] = string(js)
		var buf bytes.Buffer
		slog.New(slog.NewJSONHandler(&buf, nil)).Info("m", "v", v)
		outputs["slog "+name] = buf.String()
	}
	for name, out := range outputs {
		for _, f := range forbidden {
			if strings.Contains(out, f) {
				t.Errorf("%s leaks %q: %s", name, f, out)
			}
		}
	}
	for _, want := range []string{"clientSecret", "[REDACTED]", `"n"`, "api.example.test"} {
		if !strings.Contains(outputs["cred %v"], want) {
			t.Errorf("cred %%v = %q, want it to contain %q", outputs["cred %v"], want)
		}
	}
}

func TestExecutionHistory(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openStore(t, filepath.Join(t.TempDir(), "np.db"), newCipher(t), WithClock(fixedClock()))

	var ids []int64
	for i := range 3 {
		id, err := s.CreateExecution(ctx, Execution{
			WorkflowID: fmt.Sprintf("wf%d", i), WorkflowName: fmt.Sprintf("Workflow %d", i),
			WorkflowFile: fmt.Sprintf("/w/%d.json", i), Mode: "cli", StartedAt: t0.Add(time.Duration(i) * time.Minute),
		})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	runs := []NodeRun{
		{NodeName: "Start", NodeType: "manualTrigger", StartedAt: t0, FinishedAt: t0.Add(time.Millisecond), Status: "success", Items: json.RawMessage(`[{"json":{}}]`)},
		{NodeName: "Zoom", NodeType: "nodeplug.zoom", StartedAt: t0.Add(time.Second), FinishedAt: t0.Add(2 * time.Second), Status: "error", Error: "zoom: 404 meeting not found"},
	}
	for _, r := range runs {
		if err := s.AddNodeRun(ctx, ids[1], r); err != nil {
			t.Fatal(err)
		}
	}
	finished := t0.Add(3 * time.Minute)
	if err := s.FinishExecution(ctx, ids[1], ExecError, finished, "node Zoom failed"); err != nil {
		t.Fatal(err)
	}
	if err := s.FinishExecution(ctx, ids[0], ExecSuccess, finished, ""); err != nil {
		t.Fatal(err)
	}

	e, gotRuns, err := s.Execution(ctx, ids[1])
	if err != nil {
		t.Fatal(err)
	}
	wantExec := &Execution{ID: ids[1], WorkflowID: "wf1", WorkflowName: "Workflow 1", WorkflowFile: "/w/1.json", Mode: "cli",
		Status: ExecError, StartedAt: t0.Add(time.Minute), FinishedAt: finished, Error: "node Zoom failed"}
	if diff := cmp.Diff(wantExec, e); diff != "" {
		t.Errorf("Execution mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(runs, gotRuns); diff != "" {
		t.Errorf("node runs mismatch (-want +got):\n%s", diff)
	}

	list, err := s.ListExecutions(ctx, 2)
	if err != nil {
		t.Fatal(err)
	}
	var gotIDs []int64
	for _, e := range list {
		gotIDs = append(gotIDs, e.ID)
	}
	if diff := cmp.Diff([]int64{ids[2], ids[1]}, gotIDs); diff != "" {
		t.Errorf("ListExecutions(2) order (-want +got):\n%s", diff)
	}
	if list[0].Status != ExecRunning || !list[0].FinishedAt.IsZero() {
		t.Errorf("unfinished execution listed as %q finished %v", list[0].Status, list[0].FinishedAt)
	}
	all, err := s.ListExecutions(ctx, 0)
	if err != nil || len(all) != 3 {
		t.Errorf("ListExecutions(0) = %d executions (err %v), want 3", len(all), err)
	}
	if _, runs, err := s.Execution(ctx, ids[0]); err != nil || runs != nil {
		t.Errorf("execution without node runs: runs %v err %v", runs, err)
	}
}

func TestExecutionErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openStore(t, filepath.Join(t.TempDir(), "np.db"), newCipher(t))
	id, err := s.CreateExecution(ctx, Execution{WorkflowName: "w"})
	if err != nil {
		t.Fatal(err)
	}
	tests := map[string]struct {
		call   func() error
		target error
		text   string
	}{
		"finish missing": {call: func() error { return s.FinishExecution(ctx, 999, ExecSuccess, t0, "") }, target: ErrExecutionNotFound},
		"get missing":    {call: func() error { _, _, err := s.Execution(ctx, 999); return err }, target: ErrExecutionNotFound},
		"node run for missing execution": {
			call:   func() error { return s.AddNodeRun(ctx, 999, NodeRun{NodeName: "n"}) },
			target: ErrExecutionNotFound,
		},
		"invalid items": {call: func() error { return s.AddNodeRun(ctx, id, NodeRun{NodeName: "n", Items: json.RawMessage(`{bad`)}) }, text: "not valid JSON"},
		"bad status":    {call: func() error { return s.FinishExecution(ctx, id, "done", t0, "") }, text: "unknown status"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			err := tc.call()
			if err == nil {
				t.Fatal("no error")
			}
			if tc.target != nil && !errors.Is(err, tc.target) {
				t.Errorf("err = %v, want %v", err, tc.target)
			}
			if tc.text != "" && !strings.Contains(err.Error(), tc.text) {
				t.Errorf("err = %v, want it to contain %q", err, tc.text)
			}
		})
	}
}

func TestReapAbandoned(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openStore(t, filepath.Join(t.TempDir(), "db.sqlite"), newCipher(t))
	dead, live, unknown := mustCreate(t, s, 111), mustCreate(t, s, 222), mustCreate(t, s, 0)
	n, err := s.ReapAbandoned(ctx, func(pid int) bool { return pid == 222 })
	if err != nil || n != 1 {
		t.Fatalf("ReapAbandoned = %d, %v; want 1", n, err)
	}
	for id, want := range map[int64]ExecStatus{dead: ExecError, live: ExecRunning, unknown: ExecRunning} {
		e, _, err := s.Execution(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if e.Status != want {
			t.Errorf("execution %d: status %s, want %s", id, e.Status, want)
		}
		if want == ExecError && (e.FinishedAt.IsZero() || !strings.Contains(e.Error, "pid 111")) {
			t.Errorf("reaped execution: finished %v, error %q", e.FinishedAt, e.Error)
		}
	}
	if n, _ := s.ReapAbandoned(ctx, func(int) bool { return false }); n != 1 {
		t.Errorf("second reap ended %d executions, want only the one with pid 222", n)
	}
}

func mustCreate(t *testing.T, s *Store, pid int) int64 {
	t.Helper()
	id, err := s.CreateExecution(context.Background(), Execution{WorkflowName: "w", HostPID: pid})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func TestUpdateCredentialData(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openStore(t, filepath.Join(t.TempDir(), "db.sqlite"), newCipher(t))
	c := &Credential{Name: "zoom", Type: "zoomOAuth2Api", Data: map[string]any{"clientId": "a", "clientSecret": "old"}}
	if err := s.CreateCredential(ctx, c); err != nil {
		t.Fatal(err)
	}
	if err := s.SetToken(ctx, c.ID, &Token{AccessToken: "at", RefreshToken: "rt"}); err != nil {
		t.Fatal(err)
	}
	if err := s.UpdateCredentialData(ctx, c.ID, map[string]any{"clientId": "a", "clientSecret": "new"}); err != nil {
		t.Fatal(err)
	}
	got, err := s.Credential(ctx, "zoom")
	if err != nil {
		t.Fatal(err)
	}
	if got.Data["clientSecret"] != "new" || got.Token != nil || got.Status != StatusNew {
		t.Errorf("after update: data %v, token %v, status %s", got.Data["clientSecret"] == "new", got.Token != nil, got.Status)
	}
	if err := s.UpdateCredentialData(ctx, "nope", nil); !errors.Is(err, ErrCredentialNotFound) {
		t.Errorf("update of a missing credential: %v, want ErrCredentialNotFound", err)
	}
}

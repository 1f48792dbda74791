package zoomsandbox_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/nodeplug/nodeplug/zoomsandbox"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// goldenFixture is deterministic: fixed clock, seeded IDs, fixed base URL.
func goldenFixture(t *testing.T) (*fixture, string) {
	t.Helper()
	f := newFixture(t, func(c *zoomsandbox.Config) {
		c.BaseURL = "http://127.0.0.1:9901"
		c.User = zoomsandbox.User{ID: "KDcuGIm1QgePTO8WbOqwIQ", Email: "ada.host@example.test", FirstName: "Ada", LastName: "Host",
			Timezone: "Europe/Berlin", PMI: 3542471135}
	})
	return f, f.mint(zoomsandbox.DefaultAppName)
}

func checkGolden(t *testing.T, name string, body []byte) {
	t.Helper()
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, body, "", "  "); err != nil {
		t.Fatalf("response is not JSON: %v\n%s", err, body)
	}
	pretty.WriteByte('\n')
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, pretty.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (run go test -run %s -update to create it): %v", t.Name(), err)
	}
	if diff := cmp.Diff(string(want), pretty.String()); diff != "" {
		t.Errorf("%s differs (-golden +got); rerun with -update if intended:\n%s", path, diff)
	}
}

// exampleMeeting is the create body of the reference's example.
const exampleMeeting = `{
  "topic": "Plugin smoke test",
  "type": 2,
  "start_time": "2026-11-03T16:00:00",
  "timezone": "Europe/Berlin",
  "duration": 45,
  "agenda": "Check create, read, update and delete",
  "tracking_fields": [{"field": "team", "value": "nodeplug"}],
  "settings": {
    "host_video": true,
    "participant_video": false,
    "join_before_host": false,
    "mute_upon_entry": true,
    "waiting_room": true,
    "audio": "voip",
    "auto_recording": "none",
    "approval_type": 2
  }
}`

func TestGoldenCreateMeeting(t *testing.T) {
	t.Parallel()
	f, tok := goldenFixture(t)
	resp, body := f.api(http.MethodPost, "/v2/users/me/meetings", tok, exampleMeeting)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("create: %d %s", resp.StatusCode, body)
	}
	checkGolden(t, "create_meeting.golden.json", body)
}

func TestGoldenListPage(t *testing.T) {
	t.Parallel()
	f, tok := goldenFixture(t)
	for i, start := range []string{"2026-11-04T09:00:00", "2026-11-02T09:00:00", "2026-11-03T09:00:00"} {
		body := strings.Replace(exampleMeeting, "2026-11-03T16:00:00", start, 1)
		if i == 1 { // the first listed: its 300-character agenda is cut to 250
			body = strings.Replace(body, "Check create, read, update and delete", strings.Repeat("A long agenda. ", 20), 1)
		}
		f.createMeeting(tok, body)
	}
	f.createMeeting(tok, `{"type":1,"topic":"instant, not listed"}`)
	resp, body := f.api(http.MethodGet, "/v2/users/me/meetings?page_size=2", tok, nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("list: %d %s", resp.StatusCode, body)
	}
	checkGolden(t, "list_meetings_page1.golden.json", body)
}

func TestGoldenUsersMe(t *testing.T) {
	t.Parallel()
	f, tok := goldenFixture(t)
	resp, body := f.api(http.MethodGet, "/v2/users/me", tok, nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("users/me: %d %s", resp.StatusCode, body)
	}
	checkGolden(t, "users_me.golden.json", body)
}

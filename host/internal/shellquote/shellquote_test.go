package shellquote_test

import (
	"testing"

	"github.com/nodeplug/nodeplug/host/internal/shellquote"
)

func TestQuote(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"zoom":         "zoom",
		"a-b_c.d/e:f":  "a-b_c.d/e:f",
		"Zoom account": "'Zoom account'",
		"it's":         `'it'\''s'`,
		"":             "''",
		"$(rm -rf)":    "'$(rm -rf)'",
	} {
		if got := shellquote.Quote(in); got != want {
			t.Errorf("Quote(%q) = %s, want %s", in, got, want)
		}
	}
}

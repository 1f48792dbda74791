package zoom

import (
	"errors"
	"os/exec"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

// shellWords splits s into words as a POSIX shell does for the quoting
// shellQuote uses: single quotes, backslash escapes outside quotes, and
// unquoted blanks between words. It refuses anything else that the shell
// would treat specially, so a quoted name that relies on it fails the test.
func shellWords(s string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord, inQuote := false, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case inQuote:
			if c == '\'' {
				inQuote = false
			} else {
				cur.WriteByte(c)
			}
		case c == '\'':
			inQuote, inWord = true, true
		case c == '\\':
			if i+1 == len(s) {
				return nil, errors.New("trailing backslash")
			}
			i++
			cur.WriteByte(s[i])
			inWord = true
		case c == ' ' || c == '\t' || c == '\n':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		case strings.IndexByte("\"$`|&;<>()*?[]#~{}!", c) >= 0:
			return nil, errors.New("unquoted special character " + string(c))
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	if inQuote {
		return nil, errors.New("unterminated single quote")
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}

// shellParse has /bin/sh split quoted into words; ok is false without sh.
func shellParse(t *testing.T, quoted string) ([]string, bool) {
	t.Helper()
	sh, err := exec.LookPath("sh")
	if err != nil {
		return nil, false
	}
	out, err := exec.Command(sh, "-c", `eval "set -- $1"; for a in "$@"; do printf '%s\0' "$a"; done`, "sh", quoted).Output()
	if err != nil {
		t.Fatalf("sh could not parse %q: %v", quoted, err)
	}
	words := strings.Split(string(out), "\x00")
	return words[:len(words)-1], true
}

func TestShellQuote(t *testing.T) {
	t.Parallel()
	tests := map[string]struct{ in, want string }{
		"plain":                 {"zoom", "zoom"},
		"every safe character":  {"Zoom_prod-2/a.b:c=d", "Zoom_prod-2/a.b:c=d"},
		"space":                 {"good s2s", "'good s2s'"},
		"several spaces":        {"My Zoom S2S", "'My Zoom S2S'"},
		"single quote":          {"Ada's Zoom", `'Ada'\''s Zoom'`},
		"only a quote":          {"'", `''\'''`},
		"empty":                 {"", "''"},
		"dollar":                {"$HOME", "'$HOME'"},
		"backquote":             {"`id`", "'`id`'"},
		"double quote":          {`say "hi"`, `'say "hi"'`},
		"backslash":             {`a\b`, `'a\b'`},
		"glob":                  {"zoom*", "'zoom*'"},
		"semicolon":             {"a;rm -rf x", "'a;rm -rf x'"},
		"newline":               {"a\nb", "'a\nb'"},
		"non-ASCII":             {"Zoom-été", "'Zoom-été'"},
		"leading dash is plain": {"-x", "-x"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got := shellQuote(tc.in)
			if got != tc.want {
				t.Errorf("shellQuote(%q) = %s, want %s", tc.in, got, tc.want)
			}
			words, err := shellWords(got)
			if err != nil || len(words) != 1 || words[0] != tc.in {
				t.Errorf("%s splits into %q (%v), want the one word %q", got, words, err, tc.in)
			}
			if words, ok := shellParse(t, got); ok {
				if diff := cmp.Diff([]string{tc.in}, words); diff != "" {
					t.Errorf("sh reads %s as (-want +got):\n%s", got, diff)
				}
			}
		})
	}
}

func FuzzShellQuote(f *testing.F) {
	for _, s := range []string{"zoom", "good s2s", "Ada's Zoom", "", "''", `\'`, "a\tb", "$(id)", "-", "é"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q := shellQuote(s)
		words, err := shellWords(q)
		if err != nil || len(words) != 1 || words[0] != s {
			t.Fatalf("shellQuote(%q) = %s, which splits into %q (%v)", s, q, words, err)
		}
		if q != s && utf8.ValidString(s) && s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./:=-") == "" {
			t.Fatalf("shellQuote(%q) = %s: quoted a safe name", s, q)
		}
	})
}

func TestCredCommand(t *testing.T) {
	t.Parallel()
	tests := map[string]struct{ verb, name, want string }{
		"plain":        {"connect", "zoom-prod", "nodeplug credentials connect zoom-prod"},
		"space":        {"test", "My Zoom S2S", "nodeplug credentials test 'My Zoom S2S'"},
		"quote":        {"delete", "Ada's", `nodeplug credentials delete 'Ada'\''s'`},
		"leading dash": {"test", "-prod", "nodeplug credentials test -- -prod"},
		"dash, space":  {"test", "-my zoom", "nodeplug credentials test -- '-my zoom'"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got := credCommand(tc.verb, tc.name)
			if got != tc.want {
				t.Errorf("credCommand = %s, want %s", got, tc.want)
			}
			words, err := shellWords(got)
			if err != nil || words[len(words)-1] != tc.name {
				t.Errorf("%s does not end with the name %q: %q %v", got, tc.name, words, err)
			}
		})
	}
}

func TestSentences(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		parts []string
		want  string
	}{
		"joins":                   {[]string{"a", "b"}, "a. b"},
		"drops a final period":    {[]string{"Invalid field.", "Correct it"}, "Invalid field. Correct it"},
		"drops doubled periods":   {[]string{"Invalid field..", "x."}, "Invalid field. x"},
		"skips empty parts":       {[]string{"", "a", " ", "b", ""}, "a. b"},
		"keeps inner periods":     {[]string{"see e.g. this", "then that"}, "see e.g. this. then that"},
		"keeps a closing quote":   {[]string{`Zoom said ("Access token is expired.")`, "Reconnect"}, `Zoom said ("Access token is expired."). Reconnect`},
		"nothing":                 {nil, ""},
		"trims trailing spaces":   {[]string{"a. ", "b"}, "a. b"},
		"keeps other punctuation": {[]string{"retry (later)", "or not"}, "retry (later). or not"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if got := sentences(tc.parts...); got != tc.want {
				t.Errorf("sentences(%q) = %q, want %q", tc.parts, got, tc.want)
			}
		})
	}
}

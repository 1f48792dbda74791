package cli

import (
	"bufio"
	"os"
	"strings"

	"golang.org/x/term"
)

func stdinIsTerminal() bool { return term.IsTerminal(int(os.Stdin.Fd())) }

// readSecret reads one line from the terminal without echo.
func readSecret() (string, error) {
	b, err := term.ReadPassword(int(os.Stdin.Fd()))
	os.Stderr.WriteString("\n")
	return string(b), err
}

// readLine reads one line (prompted values that are not secret).
func readLine(r *bufio.Reader) (string, error) {
	s, err := r.ReadString('\n')
	return strings.TrimRight(s, "\r\n"), err
}

package plugins

import (
	"errors"
	"fmt"
	"strings"
)

// ErrIncompatibleProtocol marks a plugin that speaks another protocol version.
var ErrIncompatibleProtocol = errors.New("incompatible plugin protocol version")

// ErrCrashed marks a plugin process that exited while in use.
var ErrCrashed = errors.New("plugin process exited unexpectedly")

// ErrUnknownType marks a node or credential type no loaded plugin serves.
var ErrUnknownType = errors.New("no plugin serves this type")

// Error is a failure of one plugin: it names the plugin, what the host was
// doing, and carries the tail of the plugin's stderr.
type Error struct {
	Plugin string
	Path   string
	Op     string
	Err    error
	Stderr string
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "plugin %s (%s): %s: %v", e.Plugin, e.Path, e.Op, e.Err)
	if e.Stderr != "" {
		b.WriteString("\n  last lines of its stderr:\n    ")
		b.WriteString(strings.ReplaceAll(e.Stderr, "\n", "\n    "))
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

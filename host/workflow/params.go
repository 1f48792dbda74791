package workflow

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// ResolveParameters resolves the expressions in a node's parameters for one
// input item. Every string value starting with "=" is an n8n expression:
//
//   - "={{ ref }}" alone becomes the referenced JSON value with its type and
//     bytes kept (numbers stay numbers, big integers stay exact, objects stay
//     objects); a missing key gives null.
//   - text with embedded {{ ref }} blocks becomes a string; a missing key or
//     null renders as "".
//   - a leading "=" without {{ }} gives the literal rest of the string.
//
// Everything else is copied byte for byte. Supported references are
// $json, $input.item.json, $node["Name"].json and $('Name').item.json
// followed by .key, ["key"], ['key'] and [0] steps. Failures are
// *ExpressionError values naming the parameter's JSON path (several are
// joined).
func ResolveParameters(params json.RawMessage, item Item, ctx ExprContext) (json.RawMessage, error) {
	if len(params) == 0 {
		return params, nil
	}
	return walkParameters(params, func(path, value string) (json.RawMessage, []error) {
		out, err := resolveString(value, path, item, ctx)
		if err != nil {
			return nil, []error{err}
		}
		return out, nil
	})
}

// checkParameters parses every expression of a node's parameters without
// resolving it.
func checkParameters(params json.RawMessage, node string, nodeExists func(string) bool) error {
	if len(params) == 0 {
		return nil
	}
	_, err := walkParameters(params, func(path, value string) (json.RawMessage, []error) {
		return nil, checkString(value, path, node, nodeExists)
	})
	return err
}

// walkParameters copies params, replacing each string value that starts
// with "=" by what visit returns for it (when visit returns nil JSON the
// value is kept).
func walkParameters(params json.RawMessage, visit func(path, value string) (json.RawMessage, []error)) (json.RawMessage, error) {
	if !json.Valid(params) {
		return nil, errors.New("node parameters are not valid JSON")
	}
	w := &paramWalker{src: params, out: make([]byte, 0, len(params)), visit: visit}
	w.value()
	w.ws()
	if len(w.errs) > 0 {
		return nil, errors.Join(w.errs...)
	}
	return w.out, nil
}

// paramWalker walks valid JSON, copying it and rewriting expression strings.
type paramWalker struct {
	src   []byte
	pos   int
	out   []byte
	path  []string
	visit func(path, value string) (json.RawMessage, []error)
	errs  []error
}

func (w *paramWalker) ws() {
	for w.pos < len(w.src) {
		switch w.src[w.pos] {
		case ' ', '\t', '\n', '\r':
			w.out = append(w.out, w.src[w.pos])
			w.pos++
		default:
			return
		}
	}
}

// stringEnd returns the index after the string starting at w.pos.
func (w *paramWalker) stringEnd() int {
	i := w.pos + 1
	for i < len(w.src) {
		switch w.src[i] {
		case '\\':
			i += 2
		case '"':
			return i + 1
		default:
			i++
		}
	}
	return len(w.src)
}

func (w *paramWalker) copyTo(end int) {
	w.out = append(w.out, w.src[w.pos:end]...)
	w.pos = end
}

func (w *paramWalker) value() {
	w.ws()
	if w.pos >= len(w.src) {
		return
	}
	switch w.src[w.pos] {
	case '{':
		w.copyTo(w.pos + 1)
		for {
			w.ws()
			if w.src[w.pos] == '}' {
				w.copyTo(w.pos + 1)
				return
			}
			if w.src[w.pos] == ',' {
				w.copyTo(w.pos + 1)
				continue
			}
			end := w.stringEnd()
			var key string
			_ = json.Unmarshal(w.src[w.pos:end], &key) // valid JSON
			w.copyTo(end)
			w.ws()
			w.copyTo(w.pos + 1) // ':'
			w.path = append(w.path, pathKey(key))
			w.value()
			w.path = w.path[:len(w.path)-1]
		}
	case '[':
		w.copyTo(w.pos + 1)
		for i := 0; ; {
			w.ws()
			switch w.src[w.pos] {
			case ']':
				w.copyTo(w.pos + 1)
				return
			case ',':
				w.copyTo(w.pos + 1)
				i++
				continue
			}
			w.path = append(w.path, "["+strconv.Itoa(i)+"]")
			w.value()
			w.path = w.path[:len(w.path)-1]
		}
	case '"':
		end := w.stringEnd()
		raw := w.src[w.pos:end]
		var s string
		_ = json.Unmarshal(raw, &s) // valid JSON
		if !strings.HasPrefix(s, "=") {
			w.copyTo(end)
			return
		}
		repl, errs := w.visit(strings.TrimPrefix(strings.Join(w.path, ""), "."), s)
		w.errs = append(w.errs, errs...)
		if repl == nil {
			w.copyTo(end)
			return
		}
		w.out = append(w.out, repl...)
		w.pos = end
	default:
		end := w.pos
		for end < len(w.src) && !strings.ContainsRune(",]} \t\r\n", rune(w.src[end])) {
			end++
		}
		w.copyTo(end)
	}
}

// pathKey renders an object key as a path element: ".key" or ["key"].
func pathKey(key string) string {
	if isIdentifier(key) {
		return "." + key
	}
	return fmt.Sprintf("[%s]", strconv.Quote(key))
}

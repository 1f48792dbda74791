package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Environment variables the host reads.
const (
	EnvDataDir   = "NODEPLUG_DATA_DIR"
	EnvPluginDir = "NODEPLUG_PLUGIN_DIR"
	EnvLogLevel  = "NODEPLUG_LOG_LEVEL"
)

// dataDir picks the data directory: flag, then NODEPLUG_DATA_DIR, then
// $XDG_DATA_HOME/nodeplug, then ~/.local/share/nodeplug.
func dataDir(flag string, getenv func(string) string) (string, error) {
	if flag != "" {
		return filepath.Abs(flag)
	}
	if d := getenv(EnvDataDir); d != "" {
		return filepath.Abs(d)
	}
	if x := getenv("XDG_DATA_HOME"); x != "" {
		return filepath.Join(x, "nodeplug"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("cannot find a data directory: set --data-dir or %s: %w", EnvDataDir, err)
	}
	return filepath.Join(home, ".local", "share", "nodeplug"), nil
}

// pluginDir picks the plugin directory: flag, then NODEPLUG_PLUGIN_DIR, then
// <data dir>/plugins when it exists, else the plugins directory beside the
// nodeplug executable (where make build puts them).
func pluginDir(flag, data string, getenv func(string) string) string {
	if flag != "" {
		return flag
	}
	if d := getenv(EnvPluginDir); d != "" {
		return d
	}
	inData := filepath.Join(data, "plugins")
	if _, err := os.Stat(inData); err == nil {
		return inData
	}
	if exe, err := os.Executable(); err == nil {
		beside := filepath.Join(filepath.Dir(exe), "plugins")
		if _, err := os.Stat(beside); err == nil {
			return beside
		}
	}
	return inData
}

func ensureDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("creating data directory %s: %w", dir, err)
	}
	return nil
}

var errSilent = errors.New("")

package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"

	"github.com/hashicorp/go-hclog"
	"github.com/spf13/cobra"

	"github.com/nodeplug/nodeplug/host/plugins"
	"github.com/nodeplug/nodeplug/plugin/sdk"
)

// Version is the host's version, set at build time with -ldflags.
const Version = "0.1.0"

// IO is what a command reads and writes.
type IO struct {
	In     io.Reader
	Out    io.Writer
	Err    io.Writer
	Getenv func(string) string
	// IsTerminal reports whether In is an interactive terminal.
	IsTerminal func() bool
	// ReadSecret reads a line without echo (terminals only).
	ReadSecret func() (string, error)
}

type app struct {
	io IO

	dataDirFlag, pluginDirFlag, logLevel, output string

	log hclog.Logger
	dir string
	pm  *plugins.Manager
	// pluginErr says which plugins failed to load while others did.
	pluginErr error
	svc       services
	closeMu   sync.Mutex
	closer    []func()
}

// Main runs the nodeplug command line and returns the exit status.
func Main(ctx context.Context, args []string, stdio IO) int {
	a := &app{io: stdio}
	defer a.close()
	root := a.rootCommand()
	root.SetArgs(args)
	root.SetIn(stdio.In)
	root.SetOut(stdio.Out)
	root.SetErr(stdio.Err)
	if cmd, err := root.ExecuteContextC(ctx); err != nil {
		if isUsageError(err) {
			err = fmt.Errorf("%w\nRun '%s --help' for usage.", err, cmd.CommandPath())
		}
		var ee *exitError
		if ctx.Err() != nil && !errors.As(err, &ee) {
			fmt.Fprintln(stdio.Err, "interrupted: nothing more was done")
			return 130
		}
		if errors.As(err, &ee) {
			if ee.msg != "" {
				fmt.Fprintln(stdio.Err, "error:", ee.msg)
			}
			return ee.code
		}
		if !errors.Is(err, errSilent) {
			fmt.Fprintln(stdio.Err, "error:", err)
		}
		return 1
	}
	return 0
}

// exitError carries an exit status and an optional message.
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

func (a *app) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "nodeplug",
		Short: "Run n8n workflows with integrations loaded as plugins",
		Long: `nodeplug runs n8n workflow exports. Each integration (node and credential
types) is a separate plugin binary that speaks a versioned gRPC protocol.

Credentials are kept encrypted in the data directory; OAuth2 flows and token
refreshes are run by the host, and plugins only ever see access tokens.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       Version,
	}
	pf := root.PersistentFlags()
	pf.StringVar(&a.dataDirFlag, "data-dir", "", "data directory (default $"+EnvDataDir+", else $XDG_DATA_HOME/nodeplug, else ~/.local/share/nodeplug)")
	pf.StringVar(&a.pluginDirFlag, "plugin-dir", "", "plugin directory (default $"+EnvPluginDir+", else <data-dir>/plugins, else plugins/ beside this binary)")
	pf.StringVar(&a.logLevel, "log-level", "", "log level on stderr: trace, debug, info, warn, error, off (default $"+EnvLogLevel+", else warn)")
	root.PersistentPreRunE = func(*cobra.Command, []string) error {
		switch strings.ToLower(a.level()) {
		case "trace", "debug", "info", "warn", "error", "off":
			return nil
		}
		src := "--log-level"
		if a.logLevel == "" {
			src = EnvLogLevel
		}
		return fmt.Errorf("%s %q is not a log level: use trace, debug, info, warn, error or off", src, a.level())
	}
	root.AddCommand(
		a.pluginsCommand(),
		a.describeCommand(),
		a.credentialsCommand(),
		a.runCommand(),
		a.executionsCommand(),
		&cobra.Command{
			Use:   "version",
			Short: "Print nodeplug's version and protocol version",
			Args:  cobra.NoArgs,
			Run: func(*cobra.Command, []string) {
				fmt.Fprintf(a.io.Out, "nodeplug %s (plugin protocol %d)\n", Version, sdk.ProtocolVersion)
			},
		},
	)
	return root
}

// shutdownNoise drops the multiplexed broker's complaints that the plugin's
// connection is gone, which go-plugin's yamux session logs as errors when a
// plugin is ended normally. A connection that really fails mid-call is
// reported by the call itself.
func shutdownNoise(_ hclog.Level, msg string, _ ...any) bool {
	if !strings.HasPrefix(msg, "yamux:") {
		return false
	}
	for _, s := range []string{"use of closed network connection", "broken pipe", "connection reset by peer", "Failed to write header", "keepalive failed", "session shutdown"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

// isUsageError tells cobra's errors about arguments, flags and commands.
func isUsageError(err error) bool {
	msg := err.Error()
	for _, p := range []string{"accepts ", "requires ", "unknown command", "unknown flag", "unknown shorthand flag", "flag needs an argument", "invalid argument"} {
		if strings.HasPrefix(msg, p) {
			return true
		}
	}
	return false
}

func (a *app) level() string {
	if a.logLevel != "" {
		return a.logLevel
	}
	if l := a.io.Getenv(EnvLogLevel); l != "" {
		return l
	}
	return "warn"
}

func (a *app) logger() hclog.Logger {
	if a.log == nil {
		a.log = hclog.New(&hclog.LoggerOptions{Name: "nodeplug", Level: hclog.LevelFromString(a.level()), Output: a.io.Err,
			Exclude: shutdownNoise})
	}
	return a.log
}

func (a *app) slogger() *slog.Logger {
	var lvl slog.Level
	switch strings.ToLower(a.level()) {
	case "trace", "debug":
		lvl = slog.LevelDebug
	case "info":
		lvl = slog.LevelInfo
	case "error":
		lvl = slog.LevelError
	case "off":
		lvl = slog.LevelError + 100
	default:
		// At the default level the host's own components stay quiet: their
		// failures reach the user as the command's error message.
		lvl = slog.LevelError
	}
	return slog.New(slog.NewTextHandler(a.io.Err, &slog.HandlerOptions{Level: lvl}))
}

func (a *app) dataDir() (string, error) {
	if a.dir == "" {
		d, err := dataDir(a.dataDirFlag, a.io.Getenv)
		if err != nil {
			return "", err
		}
		if err := ensureDir(d); err != nil {
			return "", err
		}
		a.dir = d
	}
	return a.dir, nil
}

// pluginEnv is the whole environment a plugin gets: the host's is never
// inherited. Only the log level and network settings are passed on.
func (a *app) pluginEnv() []string {
	env := []string{EnvLogLevel + "=" + a.level()}
	for _, k := range []string{"HTTPS_PROXY", "HTTP_PROXY", "NO_PROXY", "https_proxy", "http_proxy", "no_proxy", "SSL_CERT_FILE", "SSL_CERT_DIR", "TZ"} {
		if v := a.io.Getenv(k); v != "" {
			env = append(env, k+"="+v)
		}
	}
	return env
}

// plugins launches every plugin once per command; they are killed when the
// command ends.
func (a *app) plugins(ctx context.Context) (*plugins.Manager, error) {
	if a.pm != nil {
		return a.pm, nil
	}
	d, err := a.dataDir()
	if err != nil {
		return nil, err
	}
	pm := plugins.NewManager(plugins.Config{
		Dir:         pluginDir(a.pluginDirFlag, d, a.io.Getenv),
		Logger:      a.logger(),
		Host:        &hostRefresher{a: a},
		Env:         a.pluginEnv(),
		HostName:    "nodeplug",
		HostVersion: Version,
	})
	a.pm = pm
	a.onClose(pm.Close)
	if _, err := pm.LoadAll(ctx); err != nil {
		if len(pm.Plugins()) == 0 {
			return nil, err
		}
		a.pluginErr = err
		a.logger().Warn("some plugins could not be loaded; run `nodeplug plugins` to see why")
	}
	return pm, nil
}

// onClose registers cleanup to run, last first, when the command ends.
func (a *app) onClose(f func()) {
	a.closeMu.Lock()
	defer a.closeMu.Unlock()
	a.closer = append(a.closer, f)
}

func (a *app) close() {
	a.closeMu.Lock()
	fs := a.closer
	a.closer = nil
	a.closeMu.Unlock()
	for i := len(fs) - 1; i >= 0; i-- {
		fs[i]()
	}
}

func (a *app) addOutputFlag(cmd *cobra.Command) {
	cmd.Flags().StringVarP(&a.output, "output", "o", "table", "output format: table or json")
}

func (a *app) wantJSON() (bool, error) {
	switch a.output {
	case "", "table":
		return false, nil
	case "json":
		return true, nil
	}
	return false, fmt.Errorf("unknown output format %q: use -o table or -o json", a.output)
}

func (a *app) printJSON(v any) error {
	enc := json.NewEncoder(a.io.Out)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// DefaultIO is the process's standard streams and environment.
func DefaultIO() IO {
	return IO{In: os.Stdin, Out: os.Stdout, Err: os.Stderr, Getenv: os.Getenv, IsTerminal: stdinIsTerminal, ReadSecret: readSecret}
}

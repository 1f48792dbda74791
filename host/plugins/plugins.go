package plugins

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	goplugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/nodeplug/nodeplug/plugin/protocol"
	"github.com/nodeplug/nodeplug/plugin/sdk"
)

// BinaryPrefix is the file-name prefix of plugin binaries.
const BinaryPrefix = "nodeplug-"

// Binary is a plugin executable found on disk.
type Binary struct {
	// Name is the file name without the prefix, e.g. "zoom".
	Name string
	Path string
}

// Discover lists the plugin binaries in dir: executable regular files named
// nodeplug-*, sorted by name. A missing dir yields an error that says how to
// point the host at its plugins.
func Discover(dir string) ([]Binary, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("plugin directory %s does not exist: build the plugins (make build) or point --plugin-dir / NODEPLUG_PLUGIN_DIR at them: %w", dir, err)
		}
		return nil, fmt.Errorf("reading plugin directory %s: %w", dir, err)
	}
	var out []Binary
	for _, e := range entries {
		name := e.Name()
		if !strings.HasPrefix(name, BinaryPrefix) || strings.HasSuffix(name, ".sha256") {
			continue
		}
		path := filepath.Join(dir, name)
		info, err := os.Stat(path)
		if err != nil || !info.Mode().IsRegular() || info.Mode().Perm()&0o111 == 0 {
			continue
		}
		out = append(out, Binary{Name: strings.TrimPrefix(name, BinaryPrefix), Path: path})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// Config configures a Manager.
type Config struct {
	// Dir is the plugin directory.
	Dir string
	// Logger receives the host's and the plugins' logs (plugins log JSON on
	// stderr; go-plugin re-emits each line at its level).
	Logger hclog.Logger
	// Host answers plugins' token refresh callbacks; may be nil.
	Host sdk.TokenRefresher
	// StartTimeout bounds a plugin's start; default 30s.
	StartTimeout time.Duration
	// Env is passed to plugins (names=values). The host's own environment is
	// never inherited, so no secret of the host's reaches a plugin.
	Env []string
	// HostName and HostVersion are told to plugins.
	HostName, HostVersion string
}

// Plugin is one launched plugin process and what it serves.
type Plugin struct {
	Binary
	Metadata        sdk.Metadata
	CredentialTypes []sdk.CredentialType
	NodeTypes       []sdk.NodeType

	client *protocol.Client
	proc   *goplugin.Client
	cmd    *exec.Cmd
	stderr *tailBuffer
}

// Client returns the protocol client for calls into the plugin.
func (p *Plugin) Client() *protocol.Client { return p.client }

// Exited reports whether the plugin process has exited.
func (p *Plugin) Exited() bool { return p.proc.Exited() }

// Pid is the plugin's process ID (0 when unknown).
func (p *Plugin) Pid() int {
	if rc := p.proc.ReattachConfig(); rc != nil {
		return rc.Pid
	}
	return 0
}

// Wrap turns an error from a call into this plugin into an *Error naming
// the plugin, with its stderr tail. When the connection is gone
// (Unavailable), the plugin is killed, which waits for its process and its
// stderr, and a process that had exited by itself is reported as crashed.
func (p *Plugin) Wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	if status.Code(errors.Unwrap(err)) == codes.Unavailable || status.Code(err) == codes.Unavailable {
		p.kill()
	}
	if p.proc.Exited() {
		err = fmt.Errorf("%w: %w", ErrCrashed, err)
	}
	return p.wrap(op, err)
}

// kill ends the plugin through go-plugin (gracefully, then by force) and
// waits for it. A plugin whose children keep its pipes open (a shell script,
// say) would make that wait forever: after a grace period its whole process
// group is killed.
func (p *Plugin) kill() {
	done := make(chan struct{})
	go func() {
		defer close(done)
		p.proc.Kill()
	}()
	select {
	case <-done:
	case <-time.After(killGrace):
		killProcessGroup(p.cmd)
		<-done
	}
}

// killGrace is how long kill waits for go-plugin before ending the plugin's
// process group (go-plugin itself waits up to 2s for a graceful exit).
const killGrace = 3 * time.Second

func (p *Plugin) wrap(op string, err error) error {
	return &Error{Plugin: p.Name, Path: p.Path, Op: op, Err: err, Stderr: p.stderr.Lines(20)}
}

// Manager launches plugins and keeps them for the life of a run. It is safe
// for concurrent use.
type Manager struct {
	cfg Config

	mu      sync.Mutex
	plugins []*Plugin
	// sockDir holds the plugins' Unix sockets; removed by Close.
	sockDir string
}

// NewManager returns a Manager; nothing is launched until Load.
func NewManager(cfg Config) *Manager {
	if cfg.Logger == nil {
		cfg.Logger = hclog.NewNullLogger()
	}
	if cfg.StartTimeout == 0 {
		cfg.StartTimeout = 30 * time.Second
	}
	return &Manager{cfg: cfg}
}

// LoadAll discovers and launches every plugin in the directory. A plugin
// that fails is reported in the returned error (all failures joined) while
// the others stay usable.
func (m *Manager) LoadAll(ctx context.Context) ([]*Plugin, error) {
	bins, err := Discover(m.cfg.Dir)
	if err != nil {
		return nil, err
	}
	if len(bins) == 0 {
		return nil, fmt.Errorf("no plugins (files named %s*) in %s: run make build, or point --plugin-dir / NODEPLUG_PLUGIN_DIR at them", BinaryPrefix, m.cfg.Dir)
	}
	var errs []error
	for _, b := range bins {
		if _, err := m.Load(ctx, b); err != nil {
			errs = append(errs, err)
		}
	}
	return m.Plugins(), errors.Join(errs...)
}

// Plugins returns the launched plugins.
func (m *Manager) Plugins() []*Plugin {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]*Plugin(nil), m.plugins...)
}

// Load launches one plugin binary, checks its protocol version and reads
// its descriptions.
func (m *Manager) Load(ctx context.Context, b Binary) (*Plugin, error) {
	stderr := newTailBuffer(16 << 10)
	cmd := exec.Command(b.Path)
	cmd.Env = append([]string(nil), m.cfg.Env...)
	ownProcessGroup(cmd)
	sockDir, err := m.socketDir()
	if err != nil {
		return nil, err
	}
	// go-plugin's plugin side makes its Unix socket there (and the socket of
	// a plugin that is killed is removed with the directory).
	cmd.Env = append(cmd.Env, goplugin.EnvUnixSocketDir+"="+sockDir)
	proc := goplugin.NewClient(&goplugin.ClientConfig{
		HandshakeConfig:  protocol.Handshake(),
		VersionedPlugins: protocol.HostPlugins(m.cfg.Host),
		Cmd:              cmd,
		AllowedProtocols: []goplugin.Protocol{goplugin.ProtocolGRPC},
		AutoMTLS:         true,
		// The host's token service rides on the plugin's connection instead
		// of a second TLS connection per plugin.
		GRPCBrokerMultiplex: true,
		SkipHostEnv:         true,
		Managed:             true,
		StartTimeout:        m.cfg.StartTimeout,
		Logger:              m.cfg.Logger.Named(b.Name),
		Stderr:              stderr,
		SyncStdout:          &stdoutGuard{log: m.cfg.Logger.Named(b.Name)},
		SyncStderr:          io.Discard,
	})
	p := &Plugin{Binary: b, proc: proc, cmd: cmd, stderr: stderr}
	fail := func(op string, err error) (*Plugin, error) {
		p.kill() // waits for the process and its stderr
		return nil, p.wrap(op, err)
	}
	rpc, err := proc.Client()
	if err != nil {
		// Killing waits for the process and its pipes, so its exit status
		// and the whole stderr are known afterwards.
		p.kill()
		return nil, p.wrap("starting", startError(err, cmd))
	}
	if v := proc.NegotiatedVersion(); v != sdk.ProtocolVersion {
		return fail("starting", fmt.Errorf("%w: negotiated protocol %d, this host speaks %d", ErrIncompatibleProtocol, v, sdk.ProtocolVersion))
	}
	raw, err := rpc.Dispense(protocol.PluginName)
	if err != nil {
		return fail("connecting", err)
	}
	client, ok := raw.(*protocol.Client)
	if !ok {
		return fail("connecting", fmt.Errorf("unexpected client type %T", raw))
	}
	p.client = client
	if p.Metadata, err = client.Metadata(ctx, m.cfg.HostName, m.cfg.HostVersion); err != nil {
		return fail("reading metadata", err)
	}
	if p.Metadata.ProtocolVersion != sdk.ProtocolVersion {
		return fail("reading metadata", fmt.Errorf("%w: plugin reports protocol %d, this host speaks %d", ErrIncompatibleProtocol, p.Metadata.ProtocolVersion, sdk.ProtocolVersion))
	}
	// The two descriptions are independent: ask for both at once.
	var credErr error
	credsDone := make(chan struct{})
	go func() {
		defer close(credsDone)
		p.CredentialTypes, credErr = client.CredentialTypes(ctx)
	}()
	p.NodeTypes, err = client.NodeTypes(ctx)
	<-credsDone
	if credErr != nil {
		return fail("listing credential types", credErr)
	}
	if err != nil {
		return fail("listing node types", err)
	}
	m.mu.Lock()
	m.plugins = append(m.plugins, p)
	m.mu.Unlock()
	return p, nil
}

// NodeType finds the plugin serving a node type, by full type name (an
// alias such as n8n-nodes-base.zoom) or short name.
func (m *Manager) NodeType(typeName string) (*Plugin, *sdk.NodeType, error) {
	for _, p := range m.Plugins() {
		for i := range p.NodeTypes {
			n := &p.NodeTypes[i]
			if n.Name == typeName || p.Name+"."+n.Name == typeName {
				return p, n, nil
			}
			for _, a := range n.Aliases {
				if a == typeName {
					return p, n, nil
				}
			}
		}
	}
	return nil, nil, fmt.Errorf("%w: node type %q", ErrUnknownType, typeName)
}

// CredentialType finds the plugin serving a credential type.
func (m *Manager) CredentialType(name string) (*Plugin, *sdk.CredentialType, error) {
	for _, p := range m.Plugins() {
		for i := range p.CredentialTypes {
			if p.CredentialTypes[i].Name == name {
				return p, &p.CredentialTypes[i], nil
			}
		}
	}
	return nil, nil, fmt.Errorf("%w: credential type %q (see `nodeplug plugins` for the types installed)", ErrUnknownType, name)
}

// Close ends every plugin process and waits for them to exit.
func (m *Manager) Close() {
	m.mu.Lock()
	ps := m.plugins
	m.plugins = nil
	m.mu.Unlock()
	var wg sync.WaitGroup
	for _, p := range ps {
		if pid := p.Pid(); pid > 0 {
			if rss, ok := PeakRSS(pid); ok {
				m.cfg.Logger.Debug("plugin resources", "plugin", p.Name, "pid", pid, "peak_rss_bytes", rss)
			}
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			p.kill()
		}()
	}
	wg.Wait()
	if m.sockDir != "" {
		_ = os.RemoveAll(m.sockDir)
		m.sockDir = ""
	}
}

// socketDir is the directory the plugins' Unix sockets go in, one per
// Manager, so that Close leaves none behind even when a plugin is killed.
func (m *Manager) socketDir() (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.sockDir == "" {
		d, err := os.MkdirTemp("", "nodeplug-plugins-")
		if err != nil {
			return "", fmt.Errorf("creating a directory for plugin sockets: %w", err)
		}
		m.sockDir = d
	}
	return m.sockDir, nil
}

// stdoutGuard receives what a plugin writes to its stdout after the
// handshake (go-plugin forwards it). Plugins must never do that: it is
// logged as a warning naming the plugin so that the author can fix it.
type stdoutGuard struct{ log hclog.Logger }

func (s *stdoutGuard) Write(p []byte) (int, error) {
	s.log.Warn("plugin wrote to stdout, which plugins must never do", "bytes", len(p))
	return len(p), nil
}

// startError explains why a plugin did not complete the go-plugin
// handshake, in place of go-plugin's generic texts where the cause is known.
func startError(err error, cmd *exec.Cmd) error {
	msg := err.Error()
	switch {
	case strings.Contains(strings.ToLower(msg), "incompatible api version"):
		return fmt.Errorf("%w: this host speaks nodeplug protocol %d (%v); install a plugin built for protocol %d", ErrIncompatibleProtocol, sdk.ProtocolVersion, err, sdk.ProtocolVersion)
	case cmd.ProcessState != nil && cmd.ProcessState.Exited() && strings.Contains(msg, "Failed to read any lines"):
		return fmt.Errorf("the plugin process exited with status %d before the go-plugin handshake (is it a nodeplug plugin? run it by hand to see its message)", cmd.ProcessState.ExitCode())
	case strings.Contains(msg, "Unrecognized remote plugin message"):
		line, _, _ := strings.Cut(strings.TrimPrefix(msg, "Unrecognized remote plugin message: "), "\n")
		return fmt.Errorf("unrecognized output on the plugin's stdout before the go-plugin handshake (plugins must never write to stdout): first line %q", line)
	}
	return err
}

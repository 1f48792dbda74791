// Package store is the nodeplug host's SQLite database: credentials (their
// properties and OAuth2 tokens encrypted with a [secrets.Cipher]) and the
// execution history of workflows.
//
// The database runs in WAL mode with a 30 s busy timeout and foreign keys on.
// Several processes may use one file at the same time; [Store.WithCredentialLock]
// serialises token refreshes across them with SQLite's write lock.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/nodeplug/nodeplug/host/secrets"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

// ErrWrongKey is returned by [Open] when the encryption key's fingerprint
// differs from the one recorded in the database. The database is left exactly
// as it was.
var ErrWrongKey = errors.New("the encryption key does not match the one this database was created with " +
	"(nodeplug takes the key from the NODEPLUG_ENCRYPTION_KEY environment variable, else from the key file encryption.key in the data directory); " +
	"nothing was changed: use the original key")

// ErrCredentialNotFound is returned (wrapped, naming the credential) when no
// credential has the given ID or name.
var ErrCredentialNotFound = errors.New("credential not found")

// ErrCredentialExists is returned (wrapped, naming the credential) when a
// credential with the same name already exists.
var ErrCredentialExists = errors.New("a credential with this name already exists")

// ErrExecutionNotFound is returned (wrapped, naming the ID) when no execution
// has the given ID.
var ErrExecutionNotFound = errors.New("execution not found")

// ErrSchemaTooNew is returned by [Open] when the database was written by a
// newer nodeplug with schema migrations this build does not know.
var ErrSchemaTooNew = errors.New("the database schema is newer than this nodeplug supports")

// metaKeyFingerprint is the meta row holding the cipher fingerprint.
const metaKeyFingerprint = "key_fingerprint"

// timeLayout stores timestamps as fixed-width UTC text, so they sort as text.
const timeLayout = "2006-01-02T15:04:05.000000000Z"

// Store is an open nodeplug database. It is safe for concurrent use.
type Store struct {
	db     *sql.DB
	cipher *secrets.Cipher
	path   string
	now    func() time.Time
}

// Option configures [Open].
type Option func(*Store)

// WithClock sets the clock used for CreatedAt/UpdatedAt and default
// execution start times (time.Now by default).
func WithClock(now func() time.Time) Option {
	return func(s *Store) { s.now = now }
}

// Open opens (creating if needed) the database at path, applies pending
// schema migrations and checks that c is the key the database was created
// with ([ErrWrongKey] otherwise, without changing anything).
func Open(ctx context.Context, path string, c *secrets.Cipher, opts ...Option) (*Store, error) {
	if c == nil {
		return nil, errors.New("store: open: no cipher given")
	}
	if path == "" {
		return nil, errors.New("store: open: empty database path")
	}
	if strings.ContainsAny(path, "?#") || strings.HasPrefix(path, "file:") {
		return nil, fmt.Errorf("store: open %s: the database path must not contain '?' or '#' or start with \"file:\"", path)
	}
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(30000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Set("_txlock", "immediate")
	db, err := sql.Open("sqlite", path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	s := &Store{db: db, cipher: c, path: path, now: time.Now}
	for _, o := range opts {
		o(s)
	}
	if err := s.init(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// Close closes the database.
func (s *Store) Close() error {
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("store: close %s: %w", s.path, err)
	}
	return nil
}

// Path returns the database file path.
func (s *Store) Path() string { return s.path }

// init checks the key and migrates the schema inside one write transaction,
// so two processes opening a new file do not both migrate it.
func (s *Store) init(ctx context.Context) error {
	tx, err := s.db.BeginTx(ctx, nil) // BEGIN IMMEDIATE (_txlock)
	if err != nil {
		return fmt.Errorf("store: open %s: %w", s.path, err)
	}
	defer tx.Rollback()

	version, err := schemaVersion(ctx, tx)
	if err != nil {
		return fmt.Errorf("store: open %s: read schema version: %w", s.path, err)
	}
	if version > 0 {
		// Check the key before anything could be written.
		var stored string
		err := tx.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = ?`, metaKeyFingerprint).Scan(&stored)
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return fmt.Errorf("store: open %s: read key fingerprint: %w", s.path, err)
		case stored != s.cipher.Fingerprint():
			return fmt.Errorf("store: open %s: %w (database key id %s, given key id %s)", s.path, ErrWrongKey, stored, s.cipher.Fingerprint())
		}
	}
	if version > len(migrations) {
		return fmt.Errorf("store: open %s: %w (database schema version %d, this build knows up to %d); upgrade nodeplug", s.path, ErrSchemaTooNew, version, len(migrations))
	}
	for i := version; i < len(migrations); i++ {
		if _, err := tx.ExecContext(ctx, migrations[i]); err != nil {
			return fmt.Errorf("store: open %s: schema migration %d: %w", s.path, i+1, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_version (version, applied_at) VALUES (?, ?)`, i+1, fmtDBTime(s.now())); err != nil {
			return fmt.Errorf("store: open %s: record schema migration %d: %w", s.path, i+1, err)
		}
	}
	if version < len(migrations) {
		if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)`, metaKeyFingerprint, s.cipher.Fingerprint()); err != nil {
			return fmt.Errorf("store: open %s: record key fingerprint: %w", s.path, err)
		}
	} else {
		// Fully migrated database without a fingerprint row cannot happen
		// through this package; refuse rather than guess.
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM meta WHERE key = ?`, metaKeyFingerprint).Scan(&n); err != nil {
			return fmt.Errorf("store: open %s: read key fingerprint: %w", s.path, err)
		}
		if n == 0 {
			return fmt.Errorf("store: open %s: the database has no key fingerprint; it was not created by nodeplug or is damaged", s.path)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: open %s: commit: %w", s.path, err)
	}
	return nil
}

// schemaVersion returns the highest applied migration, 0 for a new database.
func schemaVersion(ctx context.Context, tx *sql.Tx) (int, error) {
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'schema_version'`).Scan(&n); err != nil {
		return 0, err
	}
	if n == 0 {
		return 0, nil
	}
	var v sql.NullInt64
	if err := tx.QueryRowContext(ctx, `SELECT max(version) FROM schema_version`).Scan(&v); err != nil {
		return 0, err
	}
	return int(v.Int64), nil
}

// fmtDBTime encodes t for the database; the zero time is NULL.
func fmtDBTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format(timeLayout)
}

// parseDBTime decodes a timestamp written by fmtDBTime.
func parseDBTime(s sql.NullString) (time.Time, error) {
	if !s.Valid || s.String == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(timeLayout, s.String)
	if err != nil {
		return time.Time{}, fmt.Errorf("bad timestamp %q in database: %w", s.String, err)
	}
	return t, nil
}

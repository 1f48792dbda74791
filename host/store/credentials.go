package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Column names, also used as additional data of the encrypted blobs.
const (
	colData  = "data"
	colToken = "token"
)

// credentialColumns is the column list every credential query selects.
const credentialColumns = `id, name, type, data, token, status, status_message, created_at, updated_at`

// queryer is what both *sql.DB, *sql.Conn and *sql.Tx offer.
type queryer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// CredentialTx writes to one credential inside [Store.WithCredentialLock]'s
// transaction. Its writes become visible when the transaction commits.
type CredentialTx interface {
	// SetToken is [Store.SetToken] inside the transaction.
	SetToken(ctx context.Context, t *Token) error
	// SetStatus is [Store.SetStatus] inside the transaction.
	SetStatus(ctx context.Context, status Status, msg string) error
}

// tokenRecord is the private, complete encoding of a Token (Token's own
// MarshalJSON redacts).
type tokenRecord struct {
	AccessToken  string            `json:"access_token"`
	RefreshToken string            `json:"refresh_token,omitempty"`
	TokenType    string            `json:"token_type,omitempty"`
	Expiry       time.Time         `json:"expiry,omitzero"`
	Scope        string            `json:"scope,omitempty"`
	Extra        map[string]string `json:"extra,omitempty"`
	ObtainedAt   time.Time         `json:"obtained_at,omitzero"`
}

// newID returns 16 random hex characters.
func newID() (string, error) {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("generate credential id: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}

// aadFor is the additional data binding a blob to its credential and column.
func aadFor(id, column string) []byte { return []byte(id + "\x00" + column) }

// validName checks a user-chosen credential name.
func validName(name string) error {
	if name == "" {
		return errors.New("credential name is empty; choose a name")
	}
	if strings.TrimSpace(name) != name {
		return fmt.Errorf("credential name %q has leading or trailing spaces; remove them", name)
	}
	if strings.ContainsFunc(name, unicode.IsControl) {
		return fmt.Errorf("credential name %q contains control characters; remove them", name)
	}
	return nil
}

func (s *Store) sealData(id string, data map[string]any) ([]byte, error) {
	if data == nil {
		data = map[string]any{}
	}
	plain, err := json.Marshal(data)
	if err != nil {
		return nil, fmt.Errorf("encode credential data: %w", err)
	}
	defer clear(plain)
	return s.cipher.Seal(plain, aadFor(id, colData))
}

func (s *Store) sealToken(id string, t *Token) ([]byte, error) {
	if t == nil {
		return nil, nil
	}
	plain, err := json.Marshal(tokenRecord(*t))
	if err != nil {
		return nil, fmt.Errorf("encode token: %w", err)
	}
	defer clear(plain)
	return s.cipher.Seal(plain, aadFor(id, colToken))
}

// CreateCredential stores a new credential. An empty c.ID is replaced by a
// random one, an empty Status by StatusNew (StatusConnected when c.Token is
// set), and zero timestamps by now; c is
// updated accordingly. A duplicate name gives [ErrCredentialExists].
func (s *Store) CreateCredential(ctx context.Context, c *Credential) error {
	if c == nil {
		return errors.New("store: create credential: nil credential")
	}
	if err := validName(c.Name); err != nil {
		return fmt.Errorf("store: create credential: %w", err)
	}
	if c.Type == "" {
		return fmt.Errorf("store: create credential %q: the credential type is empty", c.Name)
	}
	if c.Status == "" {
		c.Status = StatusNew
		if c.Token != nil {
			c.Status = StatusConnected
		}
	}
	if !c.Status.valid() {
		return fmt.Errorf("store: create credential %q: unknown status %q", c.Name, c.Status)
	}
	if c.ID == "" {
		id, err := newID()
		if err != nil {
			return fmt.Errorf("store: create credential %q: %w", c.Name, err)
		}
		c.ID = id
	}
	now := s.now()
	if c.CreatedAt.IsZero() {
		c.CreatedAt = now
	}
	if c.UpdatedAt.IsZero() {
		c.UpdatedAt = c.CreatedAt
	}
	data, err := s.sealData(c.ID, c.Data)
	if err != nil {
		return fmt.Errorf("store: create credential %q: %w", c.Name, err)
	}
	tok, err := s.sealToken(c.ID, c.Token)
	if err != nil {
		return fmt.Errorf("store: create credential %q: %w", c.Name, err)
	}
	_, err = s.db.ExecContext(ctx, `INSERT INTO credentials (`+credentialColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		c.ID, c.Name, c.Type, data, tok, string(c.Status), c.StatusMessage, fmtDBTime(c.CreatedAt), fmtDBTime(c.UpdatedAt))
	if err != nil {
		if isConstraint(err, sqlite3.SQLITE_CONSTRAINT_UNIQUE) {
			return fmt.Errorf("store: create credential %q: %w; choose another name or delete the existing one first", c.Name, ErrCredentialExists)
		}
		if isConstraint(err, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY) {
			return fmt.Errorf("store: create credential %q: id %q is already taken", c.Name, c.ID)
		}
		return fmt.Errorf("store: create credential %q: %w", c.Name, err)
	}
	return nil
}

// isConstraint reports whether err is the SQLite extended error code.
func isConstraint(err error, code int) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && se.Code() == code
}

// Credential returns the credential whose ID or, failing that, name is
// idOrName, with Data and Token decrypted. Unknown: [ErrCredentialNotFound].
func (s *Store) Credential(ctx context.Context, idOrName string) (*Credential, error) {
	c, err := s.credential(ctx, s.db, idOrName)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	return c, nil
}

func (s *Store) credential(ctx context.Context, q queryer, idOrName string) (*Credential, error) {
	row := q.QueryRowContext(ctx, `SELECT `+credentialColumns+` FROM credentials WHERE id = ?1 OR name = ?1 ORDER BY id = ?1 DESC LIMIT 1`, idOrName)
	c, err := s.scanCredential(row)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("credential %q: %w; list credentials with: nodeplug credentials list", idOrName, ErrCredentialNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("read credential %q: %w", idOrName, err)
	}
	return c, nil
}

// ListCredentials returns all credentials ordered by name, decrypted.
func (s *Store) ListCredentials(ctx context.Context) ([]Credential, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+credentialColumns+` FROM credentials ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("store: list credentials: %w", err)
	}
	defer rows.Close()
	var out []Credential
	for rows.Next() {
		c, err := s.scanCredential(rows)
		if err != nil {
			return nil, fmt.Errorf("store: list credentials: %w", err)
		}
		out = append(out, *c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: list credentials: %w", err)
	}
	return out, nil
}

type scanner interface{ Scan(dest ...any) error }

func (s *Store) scanCredential(row scanner) (*Credential, error) {
	var (
		c                  Credential
		data, tok          []byte
		status             string
		created, updatedAt sql.NullString
	)
	if err := row.Scan(&c.ID, &c.Name, &c.Type, &data, &tok, &status, &c.StatusMessage, &created, &updatedAt); err != nil {
		return nil, err
	}
	c.Status = Status(status)
	var err error
	if c.CreatedAt, err = parseDBTime(created); err != nil {
		return nil, fmt.Errorf("credential %q: %w", c.Name, err)
	}
	if c.UpdatedAt, err = parseDBTime(updatedAt); err != nil {
		return nil, fmt.Errorf("credential %q: %w", c.Name, err)
	}
	plain, err := s.cipher.Open(data, aadFor(c.ID, colData))
	if err != nil {
		return nil, fmt.Errorf("credential %q: decrypt data: %w", c.Name, err)
	}
	err = json.Unmarshal(plain, &c.Data)
	clear(plain)
	if err != nil {
		return nil, fmt.Errorf("credential %q: decode data: %w", c.Name, err)
	}
	if tok != nil {
		plain, err := s.cipher.Open(tok, aadFor(c.ID, colToken))
		if err != nil {
			return nil, fmt.Errorf("credential %q: decrypt token: %w", c.Name, err)
		}
		var rec tokenRecord
		err = json.Unmarshal(plain, &rec)
		clear(plain)
		if err != nil {
			return nil, fmt.Errorf("credential %q: decode token: %w", c.Name, err)
		}
		t := Token(rec)
		c.Token = &t
	}
	return &c, nil
}

// DeleteCredential deletes the credential whose ID or name is idOrName.
func (s *Store) DeleteCredential(ctx context.Context, idOrName string) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: delete credential %q: %w", idOrName, err)
	}
	defer tx.Rollback()
	id, err := s.credentialMeta(ctx, tx, idOrName)
	if err != nil {
		return fmt.Errorf("store: delete credential: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM credentials WHERE id = ?`, id); err != nil {
		return fmt.Errorf("store: delete credential %q: %w", idOrName, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: delete credential %q: %w", idOrName, err)
	}
	return nil
}

// credentialMeta resolves idOrName to an ID without decrypting anything.
func (s *Store) credentialMeta(ctx context.Context, q queryer, idOrName string) (string, error) {
	var id string
	err := q.QueryRowContext(ctx, `SELECT id FROM credentials WHERE id = ?1 OR name = ?1 ORDER BY id = ?1 DESC LIMIT 1`, idOrName).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("credential %q: %w; list credentials with: nodeplug credentials list", idOrName, ErrCredentialNotFound)
	}
	if err != nil {
		return "", fmt.Errorf("read credential %q: %w", idOrName, err)
	}
	return id, nil
}

// SetToken replaces the token of credential id (nil removes it). Storing a
// token also marks the credential StatusConnected and clears the status
// message; removing it sets StatusNew. Call SetStatus afterwards to override.
func (s *Store) SetToken(ctx context.Context, id string, t *Token) error {
	if err := s.setToken(ctx, s.db, id, t); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	return nil
}

func (s *Store) setToken(ctx context.Context, q queryer, id string, t *Token) error {
	blob, err := s.sealToken(id, t)
	if err != nil {
		return fmt.Errorf("set token of credential %q: %w", id, err)
	}
	status := StatusConnected
	if t == nil {
		status = StatusNew
	}
	res, err := q.ExecContext(ctx, `UPDATE credentials SET token = ?, status = ?, status_message = '', updated_at = ? WHERE id = ?`,
		blob, string(status), fmtDBTime(s.now()), id)
	return checkUpdated(res, err, "set token of", id)
}

// SetStatus sets the status and status message of credential id.
func (s *Store) SetStatus(ctx context.Context, id string, status Status, msg string) error {
	if err := s.setStatus(ctx, s.db, id, status, msg); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	return nil
}

func (s *Store) setStatus(ctx context.Context, q queryer, id string, status Status, msg string) error {
	if !status.valid() {
		return fmt.Errorf("set status of credential %q: unknown status %q", id, status)
	}
	res, err := q.ExecContext(ctx, `UPDATE credentials SET status = ?, status_message = ?, updated_at = ? WHERE id = ?`,
		string(status), msg, fmtDBTime(s.now()), id)
	return checkUpdated(res, err, "set status of", id)
}

func checkUpdated(res sql.Result, err error, what, id string) error {
	if err != nil {
		return fmt.Errorf("%s credential %q: %w", what, id, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("%s credential %q: %w", what, id, err)
	}
	if n == 0 {
		return fmt.Errorf("%s credential %q: %w", what, id, ErrCredentialNotFound)
	}
	return nil
}

// WithCredentialLock runs fn inside a write transaction (BEGIN IMMEDIATE) on
// a dedicated connection, with cur freshly read inside that transaction.
// Concurrent callers, in this process or in others using the same database
// file, are serialised by SQLite's write lock, so fn always sees the previous
// holder's writes. Writes through tx commit when fn returns nil; any error
// rolls them back and is returned as is.
//
// Inside fn use only tx for writes to the database: the Store's own write
// methods would wait for the lock fn is holding.
func (s *Store) WithCredentialLock(ctx context.Context, id string, fn func(ctx context.Context, cur *Credential, tx CredentialTx) error) error {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("store: lock credential %q: %w", id, err)
	}
	defer conn.Close()
	tx, err := conn.BeginTx(ctx, nil) // BEGIN IMMEDIATE (_txlock)
	if err != nil {
		return fmt.Errorf("store: lock credential %q: %w", id, err)
	}
	defer tx.Rollback()
	row := tx.QueryRowContext(ctx, `SELECT `+credentialColumns+` FROM credentials WHERE id = ?`, id)
	cur, err := s.scanCredential(row)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("store: lock credential %q: %w", id, ErrCredentialNotFound)
	}
	if err != nil {
		return fmt.Errorf("store: lock credential %q: %w", id, err)
	}
	if err := fn(ctx, cur, &credTx{s: s, tx: tx, id: id}); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: commit changes to credential %q: %w", id, err)
	}
	return nil
}

// credTx implements CredentialTx.
type credTx struct {
	s  *Store
	tx *sql.Tx
	id string
}

// SetToken implements CredentialTx.
func (t *credTx) SetToken(ctx context.Context, tok *Token) error {
	if err := t.s.setToken(ctx, t.tx, t.id, tok); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	return nil
}

// SetStatus implements CredentialTx.
func (t *credTx) SetStatus(ctx context.Context, status Status, msg string) error {
	if err := t.s.setStatus(ctx, t.tx, t.id, status, msg); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	return nil
}

// UpdateCredentialData replaces the properties of credential id. Its token
// is dropped, since a changed client, secret or endpoint makes it stale, so
// the credential is StatusNew again until a token is obtained.
func (s *Store) UpdateCredentialData(ctx context.Context, id string, data map[string]any) error {
	blob, err := s.sealData(id, data)
	if err != nil {
		return fmt.Errorf("store: update credential %q: %w", id, err)
	}
	res, err := s.db.ExecContext(ctx, `UPDATE credentials SET data = ?, token = NULL, status = ?, status_message = '', updated_at = ? WHERE id = ?`,
		blob, string(StatusNew), fmtDBTime(s.now()), id)
	if err := checkUpdated(res, err, "update", id); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	return nil
}

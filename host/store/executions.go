package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	sqlite3 "modernc.org/sqlite/lib"
)

const executionColumns = `id, workflow_id, workflow_name, workflow_file, mode, status, started_at, finished_at, error, host_pid`

// CreateExecution records the start of a workflow execution and returns its
// ID. An empty Status means ExecRunning and a zero StartedAt means now; e.ID
// is ignored.
func (s *Store) CreateExecution(ctx context.Context, e Execution) (int64, error) {
	if e.Status == "" {
		e.Status = ExecRunning
	}
	if !e.Status.valid() {
		return 0, fmt.Errorf("store: create execution of workflow %q: unknown status %q", e.WorkflowName, e.Status)
	}
	if e.StartedAt.IsZero() {
		e.StartedAt = s.now()
	}
	res, err := s.db.ExecContext(ctx, `INSERT INTO executions (workflow_id, workflow_name, workflow_file, mode, status, started_at, finished_at, error, host_pid) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		e.WorkflowID, e.WorkflowName, e.WorkflowFile, e.Mode, string(e.Status), fmtDBTime(e.StartedAt), fmtDBTime(e.FinishedAt), e.Error, e.HostPID)
	if err != nil {
		return 0, fmt.Errorf("store: create execution of workflow %q: %w", e.WorkflowName, err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return 0, fmt.Errorf("store: create execution of workflow %q: %w", e.WorkflowName, err)
	}
	return id, nil
}

// FinishExecution records the end of execution id.
func (s *Store) FinishExecution(ctx context.Context, id int64, status ExecStatus, finishedAt time.Time, errMsg string) error {
	if !status.valid() {
		return fmt.Errorf("store: finish execution %d: unknown status %q", id, status)
	}
	res, err := s.db.ExecContext(ctx, `UPDATE executions SET status = ?, finished_at = ?, error = ? WHERE id = ?`,
		string(status), fmtDBTime(finishedAt), errMsg, id)
	if err != nil {
		return fmt.Errorf("store: finish execution %d: %w", id, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("store: finish execution %d: %w", id, err)
	}
	if n == 0 {
		return fmt.Errorf("store: finish execution %d: %w", id, ErrExecutionNotFound)
	}
	return nil
}

// AddNodeRun appends the record of one node run to execution execID.
// r.Items must be valid JSON or empty.
func (s *Store) AddNodeRun(ctx context.Context, execID int64, r NodeRun) error {
	var items any
	if len(r.Items) > 0 {
		if !json.Valid(r.Items) {
			return fmt.Errorf("store: add run of node %q to execution %d: the items are not valid JSON", r.NodeName, execID)
		}
		items = string(r.Items)
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO node_runs (execution_id, node_name, node_type, started_at, finished_at, status, items, error) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		execID, r.NodeName, r.NodeType, fmtDBTime(r.StartedAt), fmtDBTime(r.FinishedAt), r.Status, items, r.Error)
	if err != nil {
		if isConstraint(err, sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY) {
			return fmt.Errorf("store: add run of node %q to execution %d: %w", r.NodeName, execID, ErrExecutionNotFound)
		}
		return fmt.Errorf("store: add run of node %q to execution %d: %w", r.NodeName, execID, err)
	}
	return nil
}

// ListExecutions returns up to limit executions, newest first (all of them
// when limit <= 0).
func (s *Store) ListExecutions(ctx context.Context, limit int) ([]Execution, error) {
	if limit <= 0 {
		limit = -1 // SQLite: no limit
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+executionColumns+` FROM executions ORDER BY id DESC LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("store: list executions: %w", err)
	}
	defer rows.Close()
	var out []Execution
	for rows.Next() {
		e, err := scanExecution(rows)
		if err != nil {
			return nil, fmt.Errorf("store: list executions: %w", err)
		}
		out = append(out, *e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: list executions: %w", err)
	}
	return out, nil
}

// Execution returns execution id and its node runs in the order they were
// added.
func (s *Store) Execution(ctx context.Context, id int64) (*Execution, []NodeRun, error) {
	e, err := scanExecution(s.db.QueryRowContext(ctx, `SELECT `+executionColumns+` FROM executions WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, fmt.Errorf("execution %d: %w", id, ErrExecutionNotFound)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("store: execution %d: %w", id, err)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT node_name, node_type, started_at, finished_at, status, items, error FROM node_runs WHERE execution_id = ? ORDER BY id`, id)
	if err != nil {
		return nil, nil, fmt.Errorf("store: execution %d: node runs: %w", id, err)
	}
	defer rows.Close()
	var runs []NodeRun
	for rows.Next() {
		var (
			r                 NodeRun
			started, finished sql.NullString
			items             sql.NullString
		)
		if err := rows.Scan(&r.NodeName, &r.NodeType, &started, &finished, &r.Status, &items, &r.Error); err != nil {
			return nil, nil, fmt.Errorf("store: execution %d: node runs: %w", id, err)
		}
		if r.StartedAt, err = parseDBTime(started); err != nil {
			return nil, nil, fmt.Errorf("store: execution %d: node %q: %w", id, r.NodeName, err)
		}
		if r.FinishedAt, err = parseDBTime(finished); err != nil {
			return nil, nil, fmt.Errorf("store: execution %d: node %q: %w", id, r.NodeName, err)
		}
		if items.Valid {
			r.Items = json.RawMessage(items.String)
		}
		runs = append(runs, r)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("store: execution %d: node runs: %w", id, err)
	}
	return e, runs, nil
}

func scanExecution(row scanner) (*Execution, error) {
	var (
		e                 Execution
		status            string
		started, finished sql.NullString
	)
	if err := row.Scan(&e.ID, &e.WorkflowID, &e.WorkflowName, &e.WorkflowFile, &e.Mode, &status, &started, &finished, &e.Error, &e.HostPID); err != nil {
		return nil, err
	}
	e.Status = ExecStatus(status)
	var err error
	if e.StartedAt, err = parseDBTime(started); err != nil {
		return nil, fmt.Errorf("execution %d: %w", e.ID, err)
	}
	if e.FinishedAt, err = parseDBTime(finished); err != nil {
		return nil, fmt.Errorf("execution %d: %w", e.ID, err)
	}
	return &e, nil
}

// ReapAbandoned ends the executions still marked running whose host process
// is gone (alive reports whether a process is), as errors saying so, and
// returns how many it ended. An execution without a recorded host is left.
func (s *Store) ReapAbandoned(ctx context.Context, alive func(pid int) bool) (int, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, host_pid FROM executions WHERE status = ? AND host_pid > 0`, string(ExecRunning))
	if err != nil {
		return 0, fmt.Errorf("store: find running executions: %w", err)
	}
	type run struct {
		id  int64
		pid int
	}
	var runs []run
	for rows.Next() {
		var r run
		if err := rows.Scan(&r.id, &r.pid); err != nil {
			rows.Close()
			return 0, fmt.Errorf("store: find running executions: %w", err)
		}
		runs = append(runs, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("store: find running executions: %w", err)
	}
	n := 0
	for _, r := range runs {
		if alive(r.pid) {
			continue
		}
		res, err := s.db.ExecContext(ctx, `UPDATE executions SET status = ?, finished_at = ?, error = ? WHERE id = ? AND status = ?`,
			string(ExecError), fmtDBTime(s.now()), fmt.Sprintf("the host process (pid %d) ended without finishing the run (killed or crashed); what ran before is recorded", r.pid), r.id, string(ExecRunning))
		if err != nil {
			return n, fmt.Errorf("store: end abandoned execution %d: %w", r.id, err)
		}
		if k, _ := res.RowsAffected(); k > 0 {
			n++
		}
	}
	return n, nil
}

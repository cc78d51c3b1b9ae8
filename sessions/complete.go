package sessions

import (
	"context"
	"errors"
	"strings"

	"github.com/eddy-notebooks/eddy"
	"github.com/eddy-notebooks/eddy/kernel"
	"github.com/eddy-notebooks/eddy/kernel/flink"
)

// Complete returns completion candidates for a paragraph's text at a byte
// offset. A note with a session completes in its own gateway session, so
// its tables are known; otherwise a shared gateway session (no KPUs: it
// runs nothing) knows the catalogs only.
func (m *Manager) Complete(ctx context.Context, noteID, text string, pos int) ([]string, error) {
	if m.cfg.Cluster == nil {
		return nil, eddy.Errorf(eddy.EUNAVAILABLE, "no Flink cluster")
	}
	if k := m.FindByNote(noteID).started(); k != nil {
		return kernel.Complete(ctx, m.cfg.Cluster, k.GatewaySession(), text, pos)
	}
	handle, err := m.completionSession(ctx)
	if err != nil {
		return nil, err
	}
	out, err := kernel.Complete(ctx, m.cfg.Cluster, handle, text, pos)
	var apiErr *flink.APIError
	if errors.As(err, &apiErr) && strings.Contains(apiErr.RootCause, "does not exist") {
		m.mu.Lock()
		if m.completion == handle {
			m.completion = ""
		}
		m.mu.Unlock()
	}
	return out, err
}

// completionSession returns the shared completion session, opening it once.
func (m *Manager) completionSession(ctx context.Context) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.completion != "" {
		return m.completion, nil
	}
	h, err := m.cfg.Cluster.Gateway.OpenSession(ctx, "eddy:completion", nil)
	if err != nil {
		return "", eddy.Wrap(eddy.EUNAVAILABLE, err, "cannot open a gateway session for completion")
	}
	m.completion = h
	return h, nil
}

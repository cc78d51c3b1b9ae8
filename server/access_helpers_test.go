package server

import (
	"context"

	"github.com/eddy-notebooks/eddy/access"
)

// NewBrowserSession opens a browser session of the start-up admin, as
// opening /?token= does, and returns its cookie value.
func (ts *testServer) NewBrowserSession() string {
	id, err := ts.access.NewSession(context.Background(), ts.admin.ID, access.ViaStartupToken, ts.tokenTag())
	if err != nil {
		panic(err)
	}
	return id
}

// knownSession reports whether a session cookie value opens a session.
func (ts *testServer) knownSession(v string) bool {
	_, _, err := ts.access.SessionUser(context.Background(), v, ts.tokenTag())
	return err == nil
}

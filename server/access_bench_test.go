package server

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/eddy-notebooks/eddy/access"
	"github.com/eddy-notebooks/eddy/notebooks"
)

// BenchmarkAccess_GetParagraph measures what deciding access costs a small
// request: GET /api/notebook/{id}/paragraph/{pid} as the start-up admin (the
// token compared in memory, the note's permissions read), as a member with a
// personal API token (its hash looked up too) and with a share link, each
// reported as p50 over GET /healthz in the same run.
//
//	go test ./server -run '^$' -bench Access -benchtime 3000x
func BenchmarkAccess_GetParagraph(b *testing.B) {
	ts := MustOpenServer(b)
	ctx := context.Background()
	n, err := ts.store.CreateNote(ctx, notebooks.NoteCreate{Path: "/bench/access", Paragraphs: []notebooks.ParagraphCreate{{Text: "%md x"}}})
	if err != nil {
		b.Fatal(err)
	}
	u, err := ts.access.CreateUser(ctx, "reader", "reader-password", access.RoleMember)
	if err != nil {
		b.Fatal(err)
	}
	if err := ts.access.SetNotePermissions(ctx, n.ID, access.Permissions{Owners: []string{"admin"}, Readers: []string{"reader"}}); err != nil {
		b.Fatal(err)
	}
	member, _, err := ts.access.CreateToken(ctx, u.ID, "bench")
	if err != nil {
		b.Fatal(err)
	}
	link, _, err := ts.access.CreateShare(ctx, access.ShareRequest{NoteID: n.ID, Scope: access.ScopeView, CreatedBy: "admin"})
	if err != nil {
		b.Fatal(err)
	}
	path := ts.URL() + "/api/notebook/" + n.ID + "/paragraph/" + n.Paragraphs[0].ID
	for _, c := range []struct{ name, token string }{{"StartupToken", testToken}, {"MemberToken", member}, {"ShareLink", link}} {
		b.Run(c.name, func(b *testing.B) {
			base := healthzP50(b, ts)
			lat := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for range b.N {
				req, _ := http.NewRequest(http.MethodGet, path, nil)
				req.Header.Set("Authorization", "Bearer "+c.token)
				start := time.Now()
				benchDo(b, ts, req, http.StatusOK)
				lat = append(lat, time.Since(start))
			}
			b.StopTimer()
			reportLatency(b, lat, base)
		})
	}
}

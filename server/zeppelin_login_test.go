package server

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestZeppelinLogin_ClientKeepsTheSession signs in as Zeppelin's Java client
// does (a form POST to /api/login) and goes on with the cookies alone, no
// Origin and no CSRF header, its JSON sent as text/plain. The client's cookie
// rules (Apache HttpClient's default) drop a cookie whose Expires is in RFC
// 1123 form, the form Go writes, so the cookies carry Max-Age instead.
func TestZeppelinLogin_ClientKeepsTheSession(t *testing.T) {
	ts := MustOpenServer(t)
	var made struct {
		Name string `json:"name"`
	}
	if code := ts.native(t, http.MethodPost, "/api/v1/users", map[string]string{"name": "ana", "password": "a long password", "role": "member"}, &made); code != http.StatusCreated {
		t.Fatalf("create user: HTTP %d", code)
	}

	login := func(password string) *http.Response {
		form := url.Values{"userName": {"ana"}, "password": {password}}
		resp, err := http.PostForm(ts.URL()+"/api/login", form)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	if resp := login("wrong"); resp.StatusCode != http.StatusForbidden || len(resp.Header.Values("Set-Cookie")) != 0 {
		t.Fatalf("wrong password: HTTP %d, cookies %q", resp.StatusCode, resp.Header.Values("Set-Cookie"))
	}
	resp := login("a long password")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("login: HTTP %d", resp.StatusCode)
	}
	var cookies []string
	for _, h := range resp.Header.Values("Set-Cookie") {
		if strings.Contains(strings.ToLower(h), "expires=") || !strings.Contains(h, "Max-Age=1209600") {
			t.Fatalf("Set-Cookie %q: want Max-Age and no Expires", h)
		}
		nameValue, _, _ := strings.Cut(h, ";")
		cookies = append(cookies, nameValue)
	}
	if len(cookies) != 2 {
		t.Fatalf("cookies %q", cookies)
	}

	req, _ := http.NewRequest(http.MethodPost, ts.URL()+"/api/notebook", strings.NewReader(`{"name":"/from/zeppelin","defaultInterpreterGroup":""}`))
	req.Header.Set("Content-Type", "text/plain; charset=UTF-8")
	req.Header.Set("Cookie", strings.Join(cookies, "; "))
	created, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	created.Body.Close()
	if created.StatusCode != http.StatusOK {
		t.Fatalf("create a note with the session cookie: HTTP %d", created.StatusCode)
	}
}

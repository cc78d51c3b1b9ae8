package access

import (
	"strings"
	"testing"
	"time"
)

func TestPermissions_Allows(t *testing.T) {
	p := Permissions{Owners: []string{"olga"}, Writers: []string{"wim"}, Runners: []string{"rita"}, Readers: []string{"Rolf"}}
	for _, tc := range []struct {
		name string
		want Level // the highest level allowed; 0 none
	}{{"olga", Own}, {"wim", Write}, {"rita", Run}, {"rolf", Read}, {"ROLF", Read}, {"nobody", 0}} {
		for _, l := range []Level{Read, Run, Write, Own} {
			if got := p.Allows(tc.name, l); got != (l <= tc.want) {
				t.Errorf("%s at %s: %v, want %v", tc.name, l, got, l <= tc.want)
			}
		}
	}
	// Zeppelin's rule: a role whose own list is empty is open to everyone.
	open := Permissions{Owners: []string{"olga"}}
	if !open.Allows("anyone", Write) || open.Allows("anyone", Own) {
		t.Error("empty writers must admit everyone to write, not to own")
	}
	if !(Permissions{}).Allows("anyone", Own) {
		t.Error("no lists at all: everyone is an owner, as in Zeppelin")
	}
	priv := Private("cleo")
	if !priv.Allows("cleo", Own) || priv.Allows("dan", Read) {
		t.Errorf("private note: %+v", priv)
	}
}

func TestPermissions_Normalize(t *testing.T) {
	p := Permissions{Owners: []string{" ann ", "Ann", ""}, Readers: nil}.Normalize()
	if strings.Join(p.Owners, ",") != "ann" || p.Readers == nil || len(p.Readers) != 0 {
		t.Fatalf("%+v", p)
	}
}

func TestPrincipal_CanNote(t *testing.T) {
	perms := Permissions{Owners: []string{"olga"}, Writers: []string{"olga"}, Runners: []string{"olga"}, Readers: []string{"olga"}}
	admin := &Principal{User: &User{Name: "root", Role: RoleAdmin}}
	member := &Principal{User: &User{Name: "mia", Role: RoleMember}}
	owner := &Principal{User: &User{Name: "olga", Role: RoleMember}}
	if !admin.CanNote("n1", "", perms, Own) || member.CanNote("n1", "", perms, Read) || !owner.CanNote("n1", "", perms, Own) {
		t.Fatal("users")
	}
	view := &Principal{Share: &Share{NoteID: "n1", Scope: ScopeView}}
	edit := &Principal{Share: &Share{NoteID: "n1", Scope: ScopeEdit}}
	para := &Principal{Share: &Share{NoteID: "n1", ParagraphID: "p1", Scope: ScopeRun}}
	for _, tc := range []struct {
		p         *Principal
		note, par string
		l         Level
		want      bool
	}{
		{view, "n1", "", Read, true},
		{view, "n1", "p1", Run, false},
		{view, "n2", "", Read, false}, // another note
		{edit, "n1", "p9", Write, true},
		{edit, "n1", "", Own, false}, // never an owner
		{para, "n1", "p1", Run, true},
		{para, "n1", "p2", Read, false}, // another paragraph
		{para, "n1", "", Read, false},   // the whole note
		{nil, "n1", "", Read, false},
	} {
		if got := tc.p.CanNote(tc.note, tc.par, perms, tc.l); got != tc.want {
			t.Errorf("%s on %s/%q at %s: %v, want %v", tc.p.Name(), tc.note, tc.par, tc.l, got, tc.want)
		}
	}
	// A link's own permissions do not depend on the note's lists.
	if !view.CanNote("n1", "", Permissions{Readers: []string{"nobody"}}, Read) {
		t.Error("a view link reads its note whatever its lists say")
	}
}

func TestPasswords(t *testing.T) {
	h := hashPassword("correct horse")
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") || strings.Contains(h, "correct horse") {
		t.Fatalf("hash %q", h)
	}
	if !checkPassword(h, "correct horse") || checkPassword(h, "correct horsE") || checkPassword("", "x") || checkPassword("$argon2id$garbage", "x") {
		t.Fatal("check")
	}
	if hashPassword("correct horse") == h {
		t.Fatal("two hashes of one password are equal: no salt")
	}
	if validatePassword("short") == nil || validatePassword(strings.Repeat("x", 2000)) == nil || validatePassword("long enough") != nil {
		t.Fatal("validate")
	}
}

func TestSecrets(t *testing.T) {
	a, b := newSecret(SharePrefix), newSecret(SharePrefix)
	if a == b || !strings.HasPrefix(a, SharePrefix) || len(a)-len(SharePrefix) != 43 { // 32 bytes, base64url
		t.Fatalf("%q %q", a, b)
	}
	if secretHash(a) == secretHash(b) || len(secretHash(a)) != 64 {
		t.Fatal("hash")
	}
}

func TestLoginLimiter(t *testing.T) {
	now := time.Unix(1000, 0)
	l := NewLoginLimiter(3, time.Minute)
	l.now = func() time.Time { return now }
	for range 3 {
		if l.Wait("addr:a", "name:x") != 0 {
			t.Fatal("limited too early")
		}
		l.Failed("addr:a", "name:x")
		now = now.Add(10 * time.Second)
	}
	// The oldest failure was 30 s ago: 30 s more to wait.
	if w := l.Wait("addr:a"); w != 30*time.Second {
		t.Fatalf("wait %s, want 30s", w)
	}
	if l.Wait("addr:b", "name:y") != 0 {
		t.Fatal("other keys are not limited")
	}
	if l.Wait("addr:b", "name:x") == 0 {
		t.Fatal("the name is limited from any address")
	}
	now = now.Add(31 * time.Second)
	if l.Wait("addr:a", "name:x") != 0 {
		t.Fatal("still limited after the window")
	}
	l.Failed("addr:a")
	l.Succeeded("addr:a")
	if len(l.failures["addr:a"]) != 0 {
		t.Fatal("a success keeps failures")
	}
}

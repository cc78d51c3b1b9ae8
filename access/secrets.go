package access

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"

	"golang.org/x/crypto/argon2"

	"github.com/eddy-notebooks/eddy"
)

// Prefixes of the tokens Eddy hands out, so a leaked one is recognisable
// (and secret scanners can find them) and the server knows where to look.
const (
	TokenPrefix = "eddy_pat_"   // personal API token
	SharePrefix = "eddy_share_" // share link token
)

// newSecret returns prefix and 256 random bits, base64url.
func newSecret(prefix string) string {
	buf := make([]byte, 32)
	_, _ = rand.Read(buf)
	return prefix + base64.RawURLEncoding.EncodeToString(buf)
}

// newID returns a short random id for a stored row.
func newID() string {
	buf := make([]byte, 12)
	_, _ = rand.Read(buf)
	return hex.EncodeToString(buf)
}

// secretHash is how a secret is stored: high-entropy secrets need no slow
// hash, only one that cannot be reversed.
func secretHash(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// argon2id parameters: OWASP's minimum recommendation (19 MiB, two passes,
// one lane), a few tens of milliseconds per check here.
const (
	argonTime    = 2
	argonMemory  = 19 * 1024
	argonThreads = 1
	argonKeyLen  = 32
)

// MinPasswordLen bounds passwords from below.
const MinPasswordLen = 8

// hashPassword returns the PHC string of an argon2id hash of password.
func hashPassword(password string) string {
	salt := make([]byte, 16)
	_, _ = rand.Read(salt)
	key := argon2.IDKey([]byte(password), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	enc := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		enc.EncodeToString(salt), enc.EncodeToString(key))
}

// checkPassword reports whether password matches the PHC string hash.
func checkPassword(hash, password string) bool {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var m, t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil {
		return false
	}
	enc := base64.RawStdEncoding
	salt, err1 := enc.DecodeString(parts[4])
	want, err2 := enc.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(want) == 0 {
		return false
	}
	got := argon2.IDKey([]byte(password), salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// dummyHash is checked against when a login names no user, so a wrong
// name costs as long as a wrong password and does not reveal who exists.
// It is made at the first such login, not at every start of the binary.
var dummyHash = sync.OnceValue(func() string { return hashPassword("no such user") })

// validatePassword refuses passwords too short or too long to be sensible.
func validatePassword(pw string) error {
	switch {
	case len(pw) < MinPasswordLen:
		return eddy.Errorf(eddy.EINVALID, "a password needs at least %d characters", MinPasswordLen)
	case len(pw) > 1024:
		return eddy.Errorf(eddy.EINVALID, "a password may have at most 1024 bytes")
	}
	return nil
}

package applications

import "testing"

func TestScriptDiff(t *testing.T) {
	old := "a\nb\nc\nd\ne\nf\ng\nh\ni\nj\nk"
	for _, tc := range []struct {
		name, new, want string
	}{
		{"Same", old, ""},
		{"OneChanged", "a\nb\nc\nd\ne\nF\ng\nh\ni\nj\nk",
			"--- v1\n+++ v2\n@@ -3,7 +3,7 @@\n c\n d\n e\n-f\n+F\n g\n h\n i\n"},
		{"AddedAtEnd", old + "\nl",
			"--- v1\n+++ v2\n@@ -9,3 +9,4 @@\n i\n j\n k\n+l\n"},
		{"RemovedAtStart", "b\nc\nd\ne\nf\ng\nh\ni\nj\nk",
			"--- v1\n+++ v2\n@@ -1,4 +1,3 @@\n-a\n b\n c\n d\n"},
		// Changes closer than twice the context share a hunk; farther
		// ones do not.
		{"TwoNear", "A\nb\nc\nd\ne\nF\ng\nh\ni\nj\nk",
			"--- v1\n+++ v2\n@@ -1,9 +1,9 @@\n-a\n+A\n b\n c\n d\n e\n-f\n+F\n g\n h\n i\n"},
		{"TwoFar", "A\nb\nc\nd\ne\nf\ng\nh\ni\nj\nK",
			"--- v1\n+++ v2\n@@ -1,4 +1,4 @@\n-a\n+A\n b\n c\n d\n@@ -8,4 +8,4 @@\n h\n i\n j\n-k\n+K\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := scriptDiff(old, tc.new, "v1", "v2"); got != tc.want {
				t.Errorf("diff:\n%s\nwant:\n%s", got, tc.want)
			}
		})
	}
}

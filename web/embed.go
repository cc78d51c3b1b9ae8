// Package web holds Eddy's browser app. The TypeScript sources are in src/;
// `npm run build` (Vite) writes the app to dist/, which is embedded here so
// that bin/eddy serves it without any file on disk.
package web

import (
	"embed"
	"io/fs"
)

//go:embed all:dist
var dist embed.FS

// Dist returns the built app: index.html at the root, hashed files under assets/.
func Dist() fs.FS {
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		panic("web: embedded dist is missing: " + err.Error()) // cannot happen: the directive embeds dist
	}
	return sub
}

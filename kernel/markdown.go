package kernel

import (
	"bytes"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
)

// RenderMarkdown renders a %md paragraph's body to HTML with GitHub-flavoured
// Markdown: tables, strikethrough, autolinks and task lists. Raw HTML in the
// source is not rendered (goldmark writes "<!-- raw HTML omitted -->" in its
// place) and links or images to javascript:, vbscript:, file: and data:
// URLs (except data:image/png, gif, jpeg and webp) get an empty address, so
// a shared note cannot run script in a viewer's browser. Like Zeppelin's
// Markdown interpreter, the result is wrapped in <div class="markdown-body">.
func RenderMarkdown(src string) (string, error) {
	// A Markdown value is cheap and not shared, so no package state.
	// html.WithUnsafe is deliberately absent: it would pass raw HTML.
	md := goldmark.New(goldmark.WithExtensions(extension.GFM))
	var buf bytes.Buffer
	buf.WriteString("<div class=\"markdown-body\">\n")
	if err := md.Convert([]byte(src), &buf); err != nil {
		return "", err
	}
	buf.WriteString("</div>")
	return buf.String(), nil
}

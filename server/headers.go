package server

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/labstack/echo/v4"
)

// Security headers.
//
// Every response Eddy makes itself carries a Content-Security-Policy that
// admits scripts from this server only, so HTML that slips into a result
// (a note is user content, and an imported one anybody's) cannot run even
// if the sanitiser missed it; nosniff, so no answer is ever read as a type
// it does not declare (a JSON body echoing markup stays JSON); and
// Referrer-Policy no-referrer, so no address of Eddy reaches another site.
// Pages may be framed only by Eddy itself, except the embed view
// (EmbedPath), which the sites in the configured frame-ancestors list may
// frame. The proxied Flink web UI (FlinkUIPath, FlinkAppUIPath) is
// Flink's app with its own needs: it gets nosniff, the referrer policy and
// the framing rule, but no script policy.

// EmbedPath is where the app serves a paragraph for framing in other
// pages; only its responses carry the configured frame ancestors.
const EmbedPath = "/embed/"

// DefaultFrameAncestors is who may frame the embed view when none are
// configured: Eddy's own pages only.
var DefaultFrameAncestors = []string{"'self'"}

// appPolicy is the Content-Security-Policy of Eddy's own responses, less
// its frame-ancestors directive. Styles allow inline because CodeMirror and
// ECharts set style attributes; images allow data: and blob: (the app's
// icons, charts saved as images) and remote URLs, because Markdown results
// embed pictures by address. connect-src 'self' admits the same-origin
// websocket. base-uri 'none' keeps injected markup from rebasing the
// app's relative URLs.
const appPolicy = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; " +
	"img-src 'self' data: blob: https: http:; font-src 'self' data:; connect-src 'self'; " +
	"object-src 'none'; base-uri 'none'; form-action 'self'"

// flinkUIPolicy is all the policy the Flink web UI gets: it must not be
// framed by other sites, and it needs no plugins. Its scripts and styles
// are left to it.
const flinkUIPolicy = "object-src 'none'; frame-ancestors 'self'"

// Source expressions a frame-ancestors list may hold besides the two
// keywords: a scheme (https:) or a host source (https://wiki.example.com,
// *.example.com:8443, http://localhost:3000/docs).
var (
	schemeSource = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9+.-]*:$`)
	hostSource   = regexp.MustCompile(`^(?:[a-zA-Z][a-zA-Z0-9+.-]*://)?(?:\*|(?:\*\.)?[a-zA-Z0-9-]+(?:\.[a-zA-Z0-9-]+)*)(?::(?:[0-9]+|\*))?(?:/[a-zA-Z0-9._~%!$&()*+=:@/-]*)?$`)
)

// ValidateFrameAncestors checks a frame-ancestors list as the embed view's
// Content-Security-Policy will carry it: each entry one CSP source
// expression, 'self', 'none' (alone), a scheme or a host source. It
// refuses anything that would change the policy's meaning (spaces,
// semicolons, commas, quotes) and the keywords without their quotes, a
// likely typo that browsers would read as a host named self.
func ValidateFrameAncestors(list []string) error {
	for _, src := range list {
		switch {
		case src == "'self'":
		case src == "'none'":
			if len(list) > 1 {
				return fmt.Errorf("frame ancestors: 'none' cannot be combined with other sources")
			}
		case strings.EqualFold(src, "self") || strings.EqualFold(src, "none"):
			return fmt.Errorf("frame ancestors: write '%s' with its single quotes", strings.ToLower(src))
		case !schemeSource.MatchString(src) && !hostSource.MatchString(src):
			return fmt.Errorf("frame ancestors: %q is not a source expression (like 'self', https: or https://wiki.example.com)", src)
		}
	}
	return nil
}

// securityHeaders returns the middleware that sets the security headers on
// every response before its handler runs, so errors, redirects and 404s
// carry them too. frameAncestors is who may frame EmbedPath (empty:
// DefaultFrameAncestors); an invalid list (see ValidateFrameAncestors,
// which configuration should call first) falls back to the default.
func (s *Server) securityHeaders(frameAncestors []string) echo.MiddlewareFunc {
	if len(frameAncestors) == 0 {
		frameAncestors = DefaultFrameAncestors
	}
	if err := ValidateFrameAncestors(frameAncestors); err != nil {
		s.log.Error("embed view: using the default frame ancestors", "default", DefaultFrameAncestors, "err", err)
		frameAncestors = DefaultFrameAncestors
	}
	appCSP := appPolicy + "; frame-ancestors 'self'"
	embedCSP := appPolicy + "; frame-ancestors " + strings.Join(frameAncestors, " ")
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			h := c.Response().Header()
			h.Set("X-Content-Type-Options", "nosniff")
			h.Set("Referrer-Policy", "no-referrer")
			switch p := c.Request().URL.Path; {
			case isFlinkUIPath(p):
				h.Set("Content-Security-Policy", flinkUIPolicy)
				h.Set("X-Frame-Options", "SAMEORIGIN")
			case strings.HasPrefix(p, EmbedPath):
				// X-Frame-Options cannot name a list; the CSP (which
				// browsers prefer when both are present) says who may frame.
				h.Set("Content-Security-Policy", embedCSP)
			default:
				h.Set("Content-Security-Policy", appCSP)
				h.Set("X-Frame-Options", "SAMEORIGIN")
			}
			return next(c)
		}
	}
}

// isFlinkUIPath reports whether p is served by the Flink web UI proxy
// (flinkui.go), including the redirects to its trailing-slash form.
func isFlinkUIPath(p string) bool {
	flink := strings.TrimSuffix(FlinkUIPath, "/")
	return p == flink || strings.HasPrefix(p, FlinkUIPath) || strings.HasPrefix(p, FlinkAppUIPath)
}

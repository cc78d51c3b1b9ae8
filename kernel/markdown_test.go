package kernel

import (
	"strings"
	"testing"
)

func TestRenderMarkdown(t *testing.T) {
	tests := []struct {
		name    string
		src     string
		want    []string // substrings that must appear
		notWant []string // substrings that must not appear
	}{
		{name: "Heading", src: "# Title\n\nSome *text*.", want: []string{"<h1>Title</h1>", "<em>text</em>"}},
		{name: "Wrapped", src: "x", want: []string{`<div class="markdown-body">`, "</div>"}},
		{name: "Table", src: "| a | b |\n|---|--:|\n| 1 | 2 |\n",
			want: []string{"<table>", "<th>a</th>", `<td style="text-align:right">2</td>`}},
		{name: "Strikethrough", src: "~~gone~~", want: []string{"<del>gone</del>"}},
		{name: "Autolink", src: "see https://flink.apache.org and www.example.com",
			want: []string{`<a href="https://flink.apache.org">`, `<a href="http://www.example.com">`}},
		{name: "TaskList", src: "- [x] done\n- [ ] todo", want: []string{`<input checked="" disabled="" type="checkbox"`, `<input disabled="" type="checkbox"`}},
		{name: "Code", src: "```sql\nSELECT '<b>';\n```", want: []string{`<code class="language-sql">SELECT '&lt;b&gt;';`}},
		{name: "NoScriptBlock", src: "<script>alert(1)</script>\n\ntext", want: []string{"raw HTML omitted"}, notWant: []string{"<script"}},
		{name: "NoInlineHTML", src: `hi <img src=x onerror="alert(1)"> there <b onclick="x()">b</b>`,
			notWant: []string{"<img", "onerror", "onclick", "<b "}},
		{name: "NoIframe", src: "<iframe src=\"https://evil\"></iframe>", notWant: []string{"<iframe"}},
		{name: "JavascriptLink", src: "[click](javascript:alert(1)) [up](JavaScript:alert(2)) <javascript:alert(3)>",
			want: []string{`<a href="">click</a>`}, notWant: []string{`href="javascript:`}},
		{name: "JavascriptImage", src: "![x](javascript:alert(1))", notWant: []string{`src="javascript:`}},
		{name: "VBScriptAndData", src: "[a](vbscript:msgbox) [b](data:text/html;base64,PHNjcmlwdD4=)",
			notWant: []string{`href="vbscript:`, `href="data:text/html`}},
		{name: "EntityObfuscatedJavascript", src: "[x](&#106;avascript:alert(1)) [y](java&#09;script:alert(1))",
			notWant: []string{`href="javascript:`, `href="java	script:`}},
		{name: "DataImageAllowed", src: "![dot](data:image/png;base64,iVBORw0KGgo=)", want: []string{`src="data:image/png;base64,iVBORw0KGgo="`}},
		{name: "AttributeInjection", src: `[x](https://a.example/"onmouseover="alert(1))`, notWant: []string{`"onmouseover`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := RenderMarkdown(tt.src)
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("output lacks %q:\n%s", w, got)
				}
			}
			// Browsers read URL schemes and tag names in any case.
			for _, w := range tt.notWant {
				if strings.Contains(strings.ToLower(got), strings.ToLower(w)) {
					t.Errorf("output contains %q:\n%s", w, got)
				}
			}
		})
	}
}

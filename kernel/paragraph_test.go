package kernel

import (
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/eddy-notebooks/eddy"
)

func TestParseParagraph(t *testing.T) {
	tests := []struct {
		name  string
		text  string
		intp  string
		props map[string]string
		body  string
		err   string // substring of the error, "" for none
	}{
		{name: "NoPrefix", text: "  SELECT 1\n", body: "SELECT 1"},
		{name: "Empty", text: "", body: ""},
		{name: "OnlyName", text: "%md", intp: "md", body: ""},
		{name: "GroupName", text: "%flink.ssql\nSELECT 1", intp: "flink.ssql", body: "SELECT 1"},
		{name: "LeadingSpace", text: "\n  %flink.bsql  SELECT 1  \n", intp: "flink.bsql", body: "SELECT 1"},
		{name: "NameStopsAtNonWord", text: "%md# Title", intp: "md", body: "# Title"},
		{name: "DotWithoutPart", text: "%md.\nx", intp: "md", body: ".\nx"},
		{name: "PercentAlone", text: "%% not a header", body: "%% not a header"},
		{name: "PercentSpace", text: "% md", body: "% md"},
		{name: "Properties", text: "%flink.ssql(type=update, refreshInterval=2000)\nselect 1",
			intp: "flink.ssql", props: map[string]string{"type": "update", "refreshInterval": "2000"}, body: "select 1"},
		{name: "EmptyProperties", text: "%flink.ssql()\nselect 1", intp: "flink.ssql", body: "select 1"},
		{name: "BareKey", text: "%flink.ssql(runAsOne)", intp: "flink.ssql", props: map[string]string{"runAsOne": "runAsOne"}},
		{name: "BareKeyFirst", text: "%flink.ssql(runAsOne, type=append)", intp: "flink.ssql",
			props: map[string]string{"runAsOne": "runAsOne", "type": "append"}},
		{name: "TrailingComma", text: "%x(a=1,)", intp: "x", props: map[string]string{"a": "1"}},
		{name: "QuotedComma", text: `%flink.ssql(type=single, template="<h1>{0}, {1}</h1>")` + "\nselect 1, 2",
			intp: "flink.ssql", props: map[string]string{"type": "single", "template": "<h1>{0}, {1}</h1>"}, body: "select 1, 2"},
		{name: "QuotedParenAndEquals", text: `%x(k="a)b=c")`, intp: "x", props: map[string]string{"k": "a)b=c"}},
		{name: "QuotedSpaceKept", text: `%x(k=" a ")`, intp: "x", props: map[string]string{"k": " a "}},
		{name: "UnquotedSpaceTrimmed", text: `%x(  k  =  a b  )`, intp: "x", props: map[string]string{"k": "a b"}},
		{name: "MixedQuoting", text: `%x(k= x "y" z )`, intp: "x", props: map[string]string{"k": "x y z"}},
		{name: "EmptyQuoted", text: `%x(k="")`, intp: "x", props: map[string]string{"k": ""}},
		{name: "Escapes", text: `%x(k=a\nb\tc\,d\)e\"f\\g)`, intp: "x", props: map[string]string{"k": "a\nb\tc,d)e\"f\\g"}},
		{name: "DuplicateKeyLastWins", text: "%x(a=1, a=2)", intp: "x", props: map[string]string{"a": "2"}},
		{name: "UnknownKept", text: "%x(foo=bar)", intp: "x", props: map[string]string{"foo": "bar"}},
		{name: "SpaceBeforeParen", text: "%x (a=1)", intp: "x", body: "(a=1)"},
		{name: "ErrUnterminated", text: "%flink.ssql(type=update\nselect 1", err: "not closed"},
		{name: "ErrUnterminatedQuote", text: `%x(k="a)`, err: "not closed"},
		{name: "ErrDoubleEquals", text: "%x(a=b=c)", err: "second '='"},
		{name: "ErrEmptyKey", text: "%x(=v)", err: "empty key"},
		{name: "ErrEmptyPair", text: "%x(a=1,,b=2)", err: "empty key"},
		{name: "ErrDanglingEscape", text: `%x(a=\`, err: "escape"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := ParseParagraph(tt.text)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want one containing %q", err, tt.err)
				}
				if code := eddy.ErrorCode(err); code != eddy.EINVALID {
					t.Fatalf("code = %q, want %q", code, eddy.EINVALID)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if h.Interpreter != tt.intp {
				t.Errorf("Interpreter = %q, want %q", h.Interpreter, tt.intp)
			}
			want := tt.props
			if want == nil {
				want = map[string]string{}
			}
			if !maps.Equal(h.Properties, want) {
				t.Errorf("Properties = %q, want %q", h.Properties, want)
			}
			if h.Body != tt.body {
				t.Errorf("Body = %q, want %q", h.Body, tt.body)
			}
			if got := tt.text[h.BodyOffset : h.BodyOffset+len(h.Body)]; got != h.Body {
				t.Errorf("text at BodyOffset %d = %q, want Body %q", h.BodyOffset, got, h.Body)
			}
		})
	}
}

func TestHeader_LocalProperties(t *testing.T) {
	defaults := LocalProperties{
		Type:            DisplayUpdate,
		Template:        "{0}",
		RefreshInterval: 500 * time.Millisecond,
		Threshold:       time.Hour,
	}
	with := func(f func(*LocalProperties)) LocalProperties {
		p := defaults
		f(&p)
		return p
	}
	tests := []struct {
		name   string
		header string
		want   LocalProperties
		err    string
	}{
		{name: "Defaults", header: "%flink.ssql", want: defaults},
		{name: "TypeAppendAnyCase", header: "%flink.ssql(type=APPEND)", want: with(func(p *LocalProperties) { p.Type = DisplayAppend })},
		{name: "TypeSingleTemplate", header: `%flink.ssql(type=single, template="<b>{0}</b> of {1}")`,
			want: with(func(p *LocalProperties) { p.Type, p.Template = DisplaySingle, "<b>{0}</b> of {1}" })},
		{name: "RefreshInterval", header: "%flink.ssql(refreshInterval=2000)",
			want: with(func(p *LocalProperties) { p.RefreshInterval = 2 * time.Second })},
		{name: "RefreshIntervalRaised", header: "%flink.ssql(refreshInterval=10)",
			want: with(func(p *LocalProperties) { p.RefreshInterval = MinRefreshInterval })},
		{name: "Threshold", header: "%flink.ssql(type=append, threshold=60000)",
			want: with(func(p *LocalProperties) { p.Type, p.Threshold = DisplayAppend, time.Minute })},
		{name: "Parallelism", header: "%flink.ssql(parallelism=4, maxParallelism=128)",
			want: with(func(p *LocalProperties) { p.Parallelism, p.MaxParallelism = 4, 128 })},
		{name: "Job", header: "%flink.ssql(jobName=ingest, savepointDir=/tmp/sp, execution.savepoint.path=/tmp/sp/1)",
			want: with(func(p *LocalProperties) {
				p.JobName, p.SavepointDir, p.SavepointPath = "ingest", "/tmp/sp", "/tmp/sp/1"
			})},
		{name: "Flags", header: "%flink.ssql(resumeFromSavepoint=true, resumeFromLatestCheckpoint=TRUE, runAsOne)",
			want: with(func(p *LocalProperties) {
				p.ResumeFromSavepoint, p.ResumeFromLatestCheckpoint, p.RunAsOne = true, true, true
			})},
		{name: "FlagFalse", header: "%flink.ssql(runAsOne=false)", want: defaults},
		{name: "UnknownIgnored", header: "%flink.ssql(select url=select url)", want: defaults},
		{name: "ErrType", header: "%flink.ssql(type=table)", err: `type="table"`},
		{name: "ErrRefreshInterval", header: "%flink.ssql(refreshInterval=2s)", err: "refreshInterval"},
		{name: "ErrThresholdZero", header: "%flink.ssql(threshold=0)", err: "threshold"},
		{name: "ErrParallelismNegative", header: "%flink.ssql(parallelism=-1)", err: "parallelism"},
		{name: "ErrParallelismTooLarge", header: "%flink.ssql(parallelism=40000)", err: "parallelism"},
		{name: "ErrParallelismAboveMax", header: "%flink.ssql(parallelism=8, maxParallelism=4)", err: "larger than maxParallelism"},
		{name: "ErrFlag", header: "%flink.ssql(runAsOne=yes)", err: "runAsOne"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := ParseParagraph(tt.header + "\nselect 1")
			if err != nil {
				t.Fatal(err)
			}
			got, err := h.LocalProperties()
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) || eddy.ErrorCode(err) != eddy.EINVALID {
					t.Fatalf("err = %v, want an invalid error containing %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("LocalProperties() = %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestParseDisplayMode(t *testing.T) {
	for in, want := range map[string]DisplayMode{"": DisplayUpdate, "Update": DisplayUpdate, " append ": DisplayAppend, "SINGLE": DisplaySingle} {
		if got, err := ParseDisplayMode(in); err != nil || got != want {
			t.Errorf("ParseDisplayMode(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := ParseDisplayMode("retract"); err == nil {
		t.Error("ParseDisplayMode(retract) succeeded")
	}
}

// FuzzParseParagraph checks that ParseParagraph never panics, that Body sits
// at BodyOffset, and that a parsed header re-parses to the same result.
func FuzzParseParagraph(f *testing.F) {
	for _, s := range []string{"", "%md x", "%flink.ssql(type=update, template=\"a,b\")\nselect 1",
		`%x(k=a\nb)`, "%x(a=b=c)", "  %a.b.c(k)  body  ", "%x(\"", `%x(\`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		h, err := ParseParagraph(text)
		if err != nil {
			if eddy.ErrorCode(err) != eddy.EINVALID {
				t.Fatalf("error %v has code %q", err, eddy.ErrorCode(err))
			}
			return
		}
		if text[h.BodyOffset:h.BodyOffset+len(h.Body)] != h.Body {
			t.Fatalf("Body %q not at offset %d of %q", h.Body, h.BodyOffset, text)
		}
		if h.Interpreter == "" {
			return
		}
		// Rebuild the header with every property quoted and escaped.
		var b strings.Builder
		b.WriteString("%" + h.Interpreter + "(")
		keys := slices.Sorted(maps.Keys(h.Properties))
		for i, k := range keys {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(quoteProperty(k) + "=" + quoteProperty(h.Properties[k]))
		}
		b.WriteString(")\n" + h.Body)
		again, err := ParseParagraph(b.String())
		if err != nil || again.Interpreter != h.Interpreter || again.Body != h.Body || !maps.Equal(again.Properties, h.Properties) {
			t.Fatalf("re-parse of %q = %+v, %v; want %+v", b.String(), again, err, h)
		}
	})
}

// quoteProperty writes s as a quoted local property token.
func quoteProperty(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`, "\t", `\t`)
	return `"` + r.Replace(s) + `"`
}

func TestStatementAt(t *testing.T) {
	body := "SELECT 1;\nSELECT a FROM t WHERE x = ';';\nSEL"
	tests := []struct {
		rel  int
		stmt string
		at   int
	}{
		{3, "SELECT 1", 3},
		{8, "SELECT 1", 8},
		{9, "", 0},
		{20, "SELECT a FROM t WHERE x = ';'", 10},
		{len(body), "SEL", 3},
		{len("SELECT 1;\n"), "SELECT a FROM t WHERE x = ';'", 0},
		{len(body) + 5, "SEL", 3}, // past the end (a trimmed body)
		{-1, "SELECT 1", 0},
	}
	for _, tt := range tests {
		stmt, at := statementAt(body, tt.rel)
		if stmt != tt.stmt || at != tt.at {
			t.Errorf("statementAt(%d) = %q, %d; want %q, %d", tt.rel, stmt, at, tt.stmt, tt.at)
		}
	}
}

// FuzzStatementAt: any text and cursor give a statement and an offset in it,
// never a panic.
func FuzzStatementAt(f *testing.F) {
	f.Add("SELECT * FROM ", 14)
	f.Add("SELECT 1; SELECT 2", 9)
	f.Fuzz(func(t *testing.T, body string, rel int) {
		stmt, at := statementAt(body, rel)
		if at < 0 || at > len(stmt) {
			t.Fatalf("offset %d outside %q", at, stmt)
		}
	})
}

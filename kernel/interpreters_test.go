package kernel

import (
	"slices"
	"strings"
	"testing"

	"github.com/eddy-notebooks/eddy"
)

func TestResolveInterpreter(t *testing.T) {
	tests := []struct {
		name, intp, group string
		want              InterpreterKind
		err               string // substring of the error message
	}{
		{name: "StreamSQL", intp: "flink.ssql", want: InterpreterSQLStream},
		{name: "BatchSQL", intp: "flink.bsql", want: InterpreterSQLBatch},
		{name: "Conf", intp: "flink.conf", want: InterpreterConf},
		{name: "BareSSQLInFlinkNote", intp: "ssql", group: "flink", want: InterpreterSQLStream},
		{name: "BareBSQLDefaultGroup", intp: "bsql", want: InterpreterSQLBatch},
		{name: "BareConf", intp: "conf", group: "flink", want: InterpreterConf},
		{name: "NoPrefixFlinkNote", intp: "", group: "flink", want: InterpreterSQLStream},
		{name: "NoPrefixNoGroup", intp: "", want: InterpreterSQLStream},
		{name: "NoPrefixMarkdownNote", intp: "", group: "md", want: InterpreterMarkdown},
		{name: "Markdown", intp: "md", want: InterpreterMarkdown},
		{name: "MarkdownAlias", intp: "markdown", want: InterpreterMarkdown},
		{name: "MarkdownFull", intp: "md.md", want: InterpreterMarkdown},
		{name: "MarkdownInSparkNote", intp: "md", group: "spark", want: InterpreterMarkdown},
		{name: "ErrBareSSQLInSparkNote", intp: "ssql", group: "spark", err: `unknown interpreter %ssql`},
		{name: "ErrNoPrefixSparkNote", intp: "", group: "spark", err: "without an interpreter prefix"},
		{name: "ErrShell", intp: "sh", err: "unknown interpreter %sh"},
		{name: "ErrSpark", intp: "spark.sql", err: "unknown interpreter %spark.sql"},
		{name: "ErrScala", intp: "flink", err: "Scala"},
		{name: "ErrScalaFull", intp: "flink.flink", err: "Scala"},
		{name: "ErrUnknownFlink", intp: "flink.sql", err: "unknown interpreter %flink.sql"},
		{name: "ErrCase", intp: "Flink.ssql", err: "unknown"},
		{name: "PyFlink", intp: "flink.pyflink", want: InterpreterPyFlink},
		{name: "BarePyFlink", intp: "pyflink", want: InterpreterPyFlink},
		{name: "IPyFlink", intp: "flink.ipyflink", want: InterpreterIPyFlink},
		{name: "ZeppelinPython", intp: "python", group: "spark", want: InterpreterPyFlink},
		{name: "ZeppelinIPython", intp: "python.ipython", group: "spark", want: InterpreterIPyFlink},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ResolveInterpreter(tt.intp, tt.group)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want one containing %q", err, tt.err)
				}
				if eddy.ErrorCode(err) != eddy.EINVALID {
					t.Errorf("code = %q, want invalid", eddy.ErrorCode(err))
				}
				msg := eddy.ErrorMessage(err)
				for _, p := range []string{"%flink.ssql", "%flink.bsql", "%flink.conf", "%md"} {
					if !strings.Contains(msg, p) {
						t.Errorf("message %q does not list %s", msg, p)
					}
				}
				if got.Kind != tt.want {
					t.Errorf("Kind = %v, want %v", got.Kind, tt.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Kind != tt.want || !got.Supported {
				t.Errorf("got %+v, want kind %v", got, tt.want)
			}
		})
	}
}

func TestInterpreter_Prefix(t *testing.T) {
	for _, tt := range []struct{ intp, prefix, mode string }{
		{"ssql", "%flink.ssql", "sql"},
		{"markdown", "%md", "markdown"},
		{"flink.conf", "%flink.conf", "text"},
	} {
		it, err := ResolveInterpreter(tt.intp, "flink")
		if err != nil {
			t.Fatal(err)
		}
		if it.Prefix() != tt.prefix || it.Kind.String() != tt.prefix || it.EditorMode != tt.mode {
			t.Errorf("%s: Prefix %q, Kind %q, EditorMode %q; want %q, %q", tt.intp, it.Prefix(), it.Kind, it.EditorMode, tt.prefix, tt.mode)
		}
	}
}

func TestParseConf(t *testing.T) {
	tests := []struct {
		name string
		body string
		want []ConfEntry
		err  string
	}{
		{name: "Empty", body: ""},
		{name: "SpaceSeparated", body: "flink.execution.mode remote\nflink.execution.remote.port   8081\n",
			want: []ConfEntry{{"flink.execution.mode", "remote"}, {"flink.execution.remote.port", "8081"}}},
		{name: "EqualsAndColon", body: "a=1\nb : 2\nc= 3 \n", want: []ConfEntry{{"a", "1"}, {"b", "2"}, {"c", "3 "}}},
		{name: "Comments", body: "# comment\n  ! also\n\n   \nkey value # not a comment",
			want: []ConfEntry{{"key", "value # not a comment"}}},
		{name: "KeyOnly", body: "lonely\n", want: []ConfEntry{{"lonely", ""}}},
		{name: "ValueWithSeparators", body: "flink.udf.jars=/a.jar,/b.jar\nk v=w:x", want: []ConfEntry{{"flink.udf.jars", "/a.jar,/b.jar"}, {"k", "v=w:x"}}},
		{name: "EscapedKey", body: `my\ key\=x = v`, want: []ConfEntry{{"my key=x", "v"}}},
		{name: "Continuation", body: "list = a,\\\n    b,\\\r\n    c\nnext 1", want: []ConfEntry{{"list", "a,b,c"}, {"next", "1"}}},
		{name: "EvenBackslashesNoContinuation", body: "path C:\\\\\nnext 1", want: []ConfEntry{{"path", `C:\`}, {"next", "1"}}},
		{name: "Escapes", body: `k a\tb\nc\u00e9\u0041\q`, want: []ConfEntry{{"k", "a\tb\ncéAq"}}},
		{name: "SurrogatePair", body: `k \ud83d\ude00`, want: []ConfEntry{{"k", "😀"}}},
		{name: "CRLines", body: "a 1\rb 2", want: []ConfEntry{{"a", "1"}, {"b", "2"}}},
		{name: "DuplicateKept", body: "a 1\na 2", want: []ConfEntry{{"a", "1"}, {"a", "2"}}},
		{name: "ErrBadUnicode", body: "a 1\nk \\u12x4", err: "line 2"},
		{name: "ErrShortUnicode", body: `k \u12`, err: "line 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseConf(tt.body)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) || eddy.ErrorCode(err) != eddy.EINVALID {
					t.Fatalf("err = %v, want an invalid error containing %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("ParseConf() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestNeedsFlink(t *testing.T) {
	for _, tt := range []struct {
		text, group string
		want        bool
	}{
		{"%md\n# x", "flink", false},
		{"%markdown\nx", "flink", false},
		{"# only markdown", "md", false},
		{"%sh\nls", "flink", false}, // refused before reaching Flink
		{"%flink.ssql\nSELECT 1", "flink", true},
		{"%flink.bsql\nSELECT 1", "flink", true},
		{"%flink.conf\nflink.execution.packages a:b:1", "flink", true},
		{"SELECT 1", "flink", true},
	} {
		if got := NeedsFlink(tt.text, tt.group); got != tt.want {
			t.Errorf("NeedsFlink(%q, %q) = %v, want %v", tt.text, tt.group, got, tt.want)
		}
	}
}

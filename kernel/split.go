package kernel

import (
	"strconv"
	"strings"
)

// StatementKind classifies a Flink SQL statement by how Eddy runs it and
// shows its result. The SQL Gateway stays the authority on what a statement
// means; the kind only picks the path.
type StatementKind int

// Statement kinds.
const (
	// StmtOther is anything else: ADD JAR, LOAD MODULE, STOP JOB, CALL, ...
	StmtOther StatementKind = iota
	// StmtQuery is SELECT, WITH or VALUES: rows, live for a streaming query.
	StmtQuery
	// StmtShow is SHOW ...: a small table.
	StmtShow
	// StmtDescribe is DESCRIBE or DESC: a small table.
	StmtDescribe
	// StmtExplain is EXPLAIN: a plan as text.
	StmtExplain
	// StmtDML is INSERT INTO/OVERWRITE, EXECUTE INSERT, EXECUTE PLAN,
	// UPDATE and DELETE.
	StmtDML
	// StmtStatementSet is EXECUTE STATEMENT SET BEGIN ... END, or the
	// interactive BEGIN STATEMENT SET; ...; END; unit.
	StmtStatementSet
	// StmtDDL is CREATE, DROP, ALTER, TRUNCATE and REPLACE TABLE ... AS.
	StmtDDL
	// StmtSet is SET or RESET.
	StmtSet
	// StmtUse is USE, USE CATALOG and USE MODULES.
	StmtUse
)

var statementKindNames = [...]string{
	StmtOther: "OTHER", StmtQuery: "QUERY", StmtShow: "SHOW", StmtDescribe: "DESCRIBE",
	StmtExplain: "EXPLAIN", StmtDML: "DML", StmtStatementSet: "STATEMENT_SET", StmtDDL: "DDL",
	StmtSet: "SET", StmtUse: "USE",
}

// String returns the kind's name, e.g. "QUERY".
func (k StatementKind) String() string {
	if k >= 0 && int(k) < len(statementKindNames) {
		return statementKindNames[k]
	}
	return "StatementKind(" + strconv.Itoa(int(k)) + ")"
}

// Statement is one statement of a SQL paragraph, or one interactive
// statement set unit.
type Statement struct {
	// Text is the statement without the terminating ';': from its first
	// token to its last, leading and trailing comments and white space
	// excluded, comments between tokens (and hints) kept.
	Text string
	// Offset is the byte offset of Text in the input of SplitStatements.
	Offset int
	// Kind classifies the statement.
	Kind StatementKind
	// SubmitsJob is true when the gateway answers with the id of a Flink
	// job it submitted and left running (detached): INSERT, EXECUTE INSERT,
	// EXECUTE PLAN, statement sets, and CREATE/REPLACE TABLE ... AS SELECT
	// (CTAS/RTAS, which are DDL) and CREATE MATERIALIZED TABLE ... AS. A
	// SELECT runs a job too but answers with rows, so it is false; UPDATE and
	// DELETE may or may not run a job depending on the connector, so they are
	// false and the gateway's jobID field decides.
	SubmitsJob bool
	// Unterminated is true when the input ends inside the statement: in a
	// string or quoted identifier, or before the END of a statement set.
	// Sending it would fail or, for BEGIN STATEMENT SET, leave the gateway
	// session in statement-set state, so a runner should refuse it.
	Unterminated bool
	// Pieces are, for an interactive BEGIN STATEMENT SET; ...; END; unit,
	// its statements in order (BEGIN STATEMENT SET, the INSERTs, END), to
	// be sent to the gateway one by one within the unit. Nil otherwise.
	Pieces []Statement
}

// Parts returns what to send to the gateway, in order: the Pieces of a
// statement set unit, or the statement itself.
func (s Statement) Parts() []Statement {
	if s.Pieces != nil {
		return s.Pieces
	}
	return []Statement{s}
}

// SplitStatements splits a Flink SQL script into statements at top-level
// semicolons, with Flink's (Calcite's) lexical rules:
//
//   - `--` and `//` start a comment to the end of the line and `/* */` a
//     block comment (not nested); a ';' inside a comment never splits.
//   - '...' strings escape a quote by doubling it; E'...' strings (Flink 2)
//     also take backslash escapes; `...` and "..." quote identifiers,
//     escaping by doubling. A ';' inside any of them never splits.
//   - `EXECUTE STATEMENT SET BEGIN ... END` (and EXPLAIN STATEMENT SET
//     BEGIN ... END) is one statement: inner semicolons do not split it.
//   - `BEGIN STATEMENT SET; ...; END;` becomes one Statement of kind
//     StmtStatementSet whose Pieces are its statements.
//   - Pieces with no tokens (only white space and comments) are dropped.
//
// The xwb1989/sqlparser splitter is not used here because its MySQL lexer
// disagrees with Flink's where it matters: it reads \' inside '...' as an
// escaped quote (Flink does not, so 'C:\' would swallow the next statement),
// takes '#' as a comment start, and knows no statement sets. The tests use
// it as an oracle on input where the two dialects agree.
//
// Guarantees, checked by FuzzSplitStatements for any input:
//
//  1. Statements are in input order and do not overlap, and each Text
//     equals input[Offset:Offset+len(Text)], is not empty and neither starts
//     nor ends with white space or a comment (except that an Unterminated
//     string runs to the end of the input, white space included).
//  2. Every byte of the input outside all statements is white space, part
//     of a comment, or a separating ';'. So every other byte belongs to
//     exactly one statement, at its place.
//  3. Splitting a statement's Text again gives that one statement, with the
//     same kind, at offset 0.
//  4. Joining the Texts with ";\n" and splitting again gives the same Texts
//     and kinds.
//  5. Pieces of a unit lie inside it, in order, the first starting at the
//     unit's Offset and the last ending where the unit ends.
func SplitStatements(sql string) []Statement {
	toks := lexSQL(sql)
	pieces := splitPieces(sql, toks)
	var out []Statement
	for i := 0; i < len(pieces); i++ {
		p := pieces[i]
		if !p.isBeginStatementSet() {
			out = append(out, p.statement(sql))
			continue
		}
		unit := Statement{Offset: p.start(), Kind: StmtStatementSet, SubmitsJob: true, Unterminated: true}
		unit.Pieces = append(unit.Pieces, p.statement(sql))
		end := p.end()
		for i+1 < len(pieces) {
			i++
			q := pieces[i]
			st := q.statement(sql)
			end = q.end()
			if q.isEnd() {
				st.Kind = StmtStatementSet
				unit.Pieces = append(unit.Pieces, st)
				unit.Unterminated = false
				break
			}
			unit.Pieces = append(unit.Pieces, st)
			if st.Unterminated {
				break // can only be the last piece anyway
			}
		}
		unit.Text = sql[unit.Offset:end]
		out = append(out, unit)
	}
	return out
}

// tokenKind is the lexical class of a token.
type tokenKind uint8

const (
	tokWord      tokenKind = iota // identifier, keyword or number
	tokString                     // '...' (any prefix is a separate word)
	tokQuoted                     // `...` or "..."
	tokSemicolon                  // ;
	tokPunct                      // any other byte
)

// token is a lexeme of the input; comments and white space are not tokens.
type token struct {
	start, end   int
	kind         tokenKind
	unterminated bool // a string or quoted identifier cut off by the end of input
}

// lexSQL tokenises sql with Flink's lexical rules, dropping comments and
// white space.
func lexSQL(sql string) []token {
	var toks []token
	n := len(sql)
	for i := 0; i < n; {
		c := sql[i]
		switch {
		case isSpace(c):
			i++
		case (c == '-' || c == '/') && i+1 < n && sql[i+1] == c:
			i = skipLineComment(sql, i+2)
		case c == '/' && i+1 < n && sql[i+1] == '*':
			if e := strings.Index(sql[i+2:], "*/"); e >= 0 {
				i += 2 + e + 2
			} else {
				i = n
			}
		case c == '\'':
			// E'...' is a C-style string: backslash escapes the next byte.
			cStyle := len(toks) > 0 && toks[len(toks)-1].kind == tokWord && toks[len(toks)-1].end == i &&
				i-toks[len(toks)-1].start == 1 && (sql[i-1] == 'E' || sql[i-1] == 'e')
			end, ok := scanQuoted(sql, i, '\'', cStyle)
			toks = append(toks, token{start: i, end: end, kind: tokString, unterminated: !ok})
			i = end
		case c == '`' || c == '"':
			end, ok := scanQuoted(sql, i, c, false)
			toks = append(toks, token{start: i, end: end, kind: tokQuoted, unterminated: !ok})
			i = end
		case c == ';':
			toks = append(toks, token{start: i, end: i + 1, kind: tokSemicolon})
			i++
		case isIdentByte(c):
			j := i + 1
			for j < n && isIdentByte(sql[j]) {
				j++
			}
			toks = append(toks, token{start: i, end: j, kind: tokWord})
			i = j
		default:
			toks = append(toks, token{start: i, end: i + 1, kind: tokPunct})
			i++
		}
	}
	return toks
}

// skipLineComment returns the offset of the line break that ends a comment
// whose text starts at i, or len(sql).
func skipLineComment(sql string, i int) int {
	if e := strings.IndexAny(sql[i:], "\r\n"); e >= 0 {
		return i + e
	}
	return len(sql)
}

// scanQuoted scans a run quoted by q that opens at sql[open], where a
// doubled q stands for itself (and, with backslash, \x too). It returns the
// offset after the closing quote, or len(sql) and false if there is none.
func scanQuoted(sql string, open int, q byte, backslash bool) (int, bool) {
	for i := open + 1; i < len(sql); i++ {
		switch sql[i] {
		case '\\':
			if backslash {
				i++
			}
		case q:
			if i+1 < len(sql) && sql[i+1] == q {
				i++
				continue
			}
			return i + 1, true
		}
	}
	return len(sql), false
}

// isIdentByte reports whether c can be part of an identifier, keyword or
// number; bytes of multi-byte UTF-8 characters count as letters.
func isIdentByte(c byte) bool {
	return isWordByte(c) || c == '$' || c >= 0x80
}

// piece is a run of tokens between top-level semicolons.
type piece struct {
	sql  string
	toks []token // never empty
}

func (p piece) start() int { return p.toks[0].start }
func (p piece) end() int   { return p.toks[len(p.toks)-1].end }

// word returns the i-th token upper-cased if it is a word, else "".
func (p piece) word(i int) string {
	if i >= len(p.toks) || p.toks[i].kind != tokWord {
		return ""
	}
	return strings.ToUpper(p.sql[p.toks[i].start:p.toks[i].end])
}

func (p piece) isBeginStatementSet() bool {
	return len(p.toks) == 3 && p.word(0) == "BEGIN" && p.word(1) == "STATEMENT" && p.word(2) == "SET"
}

func (p piece) isEnd() bool { return len(p.toks) == 1 && p.word(0) == "END" }

// statement turns p into a Statement with its kind.
func (p piece) statement(sql string) Statement {
	st := Statement{Text: sql[p.start():p.end()], Offset: p.start()}
	st.Kind, st.SubmitsJob = classify(p)
	last := p.toks[len(p.toks)-1]
	st.Unterminated = last.unterminated
	// A STATEMENT SET BEGIN block is complete once its last inner
	// statement is END.
	if b := statementSetBlockStart(p); b >= 0 && !blockEnded(p, b) {
		st.Unterminated = true
	}
	return st
}

// splitPieces groups tokens into pieces at semicolons, except inside a
// STATEMENT SET BEGIN ... END block.
func splitPieces(sql string, toks []token) []piece {
	var pieces []piece
	first := 0       // first token of the current piece
	inBlock := false // inside STATEMENT SET BEGIN ... END
	inner := -1      // first token of the current statement inside the block
	for i, t := range toks {
		if t.kind != tokSemicolon {
			if !inBlock && i-first >= 2 && isWordAt(sql, toks, i, "BEGIN") &&
				isWordAt(sql, toks, i-1, "SET") && isWordAt(sql, toks, i-2, "STATEMENT") {
				inBlock, inner = true, i+1
			}
			continue
		}
		if inBlock {
			if inner < i && i-inner == 1 && isWordAt(sql, toks, inner, "END") {
				inBlock = false // this ';' ends the block and the piece
			} else {
				inner = i + 1
				continue
			}
		}
		if i > first {
			pieces = append(pieces, piece{sql: sql, toks: toks[first:i]})
		}
		first = i + 1
	}
	if first < len(toks) {
		pieces = append(pieces, piece{sql: sql, toks: toks[first:]})
	}
	return pieces
}

func isWordAt(sql string, toks []token, i int, upper string) bool {
	t := toks[i]
	return t.kind == tokWord && strings.EqualFold(sql[t.start:t.end], upper)
}

// statementSetBlockStart returns the index of BEGIN in a piece holding
// "STATEMENT SET BEGIN", or -1.
func statementSetBlockStart(p piece) int {
	for i := 2; i < len(p.toks); i++ {
		if p.word(i) == "BEGIN" && p.word(i-1) == "SET" && p.word(i-2) == "STATEMENT" {
			return i
		}
	}
	return -1
}

// blockEnded reports whether the block that opens at token begin ends with
// a statement that is just END.
func blockEnded(p piece, begin int) bool {
	n := len(p.toks)
	if p.word(n-1) != "END" {
		return false
	}
	return n-2 == begin || p.toks[n-2].kind == tokSemicolon
}

// classify returns the kind of a piece and whether it submits a detached job.
func classify(p piece) (StatementKind, bool) {
	i := 0
	for i < len(p.toks) && p.toks[i].kind == tokPunct && p.sql[p.toks[i].start] == '(' {
		i++ // (SELECT ...) UNION ...
	}
	w0, w1 := p.word(i), p.word(i+1)
	switch w0 {
	case "SELECT", "WITH", "VALUES":
		return StmtQuery, false
	case "SHOW":
		return StmtShow, false
	case "DESCRIBE", "DESC":
		return StmtDescribe, false
	case "EXPLAIN":
		return StmtExplain, false
	case "INSERT", "UPSERT":
		return StmtDML, true
	case "UPDATE", "DELETE":
		return StmtDML, false
	case "EXECUTE":
		switch w1 {
		case "STATEMENT":
			return StmtStatementSet, true
		case "INSERT", "UPSERT", "PLAN":
			return StmtDML, true
		}
		return StmtOther, false
	case "BEGIN":
		if p.isBeginStatementSet() {
			return StmtStatementSet, true
		}
		return StmtOther, false
	case "CREATE", "REPLACE":
		return StmtDDL, isTableAsSelect(p, i)
	case "DROP", "ALTER", "TRUNCATE":
		return StmtDDL, false
	case "SET", "RESET":
		return StmtSet, false
	case "USE":
		return StmtUse, false
	}
	return StmtOther, false
}

// isTableAsSelect reports whether a CREATE or REPLACE statement starting at
// token i is CREATE [OR REPLACE] [TEMPORARY] TABLE ... AS, REPLACE TABLE ...
// AS or CREATE [OR ALTER] MATERIALIZED TABLE ... AS: an AS at parenthesis
// depth 0 after TABLE (an AS inside the column list is a computed column or
// a watermark).
func isTableAsSelect(p piece, i int) bool {
	j := i + 1
	for ; j < len(p.toks); j++ {
		switch p.word(j) {
		case "OR", "REPLACE", "ALTER", "TEMPORARY", "MATERIALIZED":
			continue
		case "TABLE":
		default:
			return false
		}
		break
	}
	depth := 0
	for j++; j < len(p.toks); j++ {
		t := p.toks[j]
		if t.kind == tokPunct {
			switch p.sql[t.start] {
			case '(':
				depth++
			case ')':
				depth--
			}
			continue
		}
		if depth == 0 && p.word(j) == "AS" {
			return true
		}
	}
	return false
}

// StripLineComments returns sql without its line comments (`--` and `//`
// to the end of the line; the line break stays), with Flink's lexical
// rules: strings, quoted identifiers and block comments (hints among them)
// are kept as they are. Flink's SqlDriver splits an application's script
// with a lexer of its own that does not know `//` comments, so a quote or a
// ';' in one would cut the script in the wrong place.
func StripLineComments(sql string) string {
	toks := lexSQL(sql)
	var b strings.Builder
	b.Grow(len(sql))
	prev := 0
	for _, t := range toks {
		b.WriteString(stripGap(sql[prev:t.start]))
		b.WriteString(sql[t.start:t.end])
		prev = t.end
	}
	b.WriteString(stripGap(sql[prev:]))
	return b.String()
}

// stripGap removes the line comments from text between two tokens: white
// space, line comments and block comments.
func stripGap(gap string) string {
	if !strings.Contains(gap, "--") && !strings.Contains(gap, "//") {
		return gap
	}
	var out []byte
	for i := 0; i < len(gap); {
		switch {
		case strings.HasPrefix(gap[i:], "/*"):
			end := len(gap)
			if e := strings.Index(gap[i+2:], "*/"); e >= 0 {
				end = i + 2 + e + 2
			}
			out = append(out, gap[i:end]...)
			i = end
		case strings.HasPrefix(gap[i:], "--") || strings.HasPrefix(gap[i:], "//"):
			// The comment goes with the blanks before it.
			for len(out) > 0 && (out[len(out)-1] == ' ' || out[len(out)-1] == '\t') {
				out = out[:len(out)-1]
			}
			i = skipLineComment(gap, i+2)
		default:
			out = append(out, gap[i])
			i++
		}
	}
	return string(out)
}

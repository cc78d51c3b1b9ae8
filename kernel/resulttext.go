package kernel

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/eddy-notebooks/eddy"
	"github.com/eddy-notebooks/eddy/kernel/flink"
	"github.com/eddy-notebooks/eddy/notebooks"
)

// showResult renders a finished non-query statement's result: a short
// success text for DDL, SET and USE, a table for SHOW and DESCRIBE, the plan
// for EXPLAIN.
func (ex *execution) showResult(st Statement, cols []Column, f *flink.Fetcher, rows []flink.Row) {
	if isOK(f, rows) {
		ex.addMessage(notebooks.MessageText, successText(st))
		return
	}
	if st.Kind == StmtExplain && len(f.Columns) == 1 && len(rows) == 1 {
		ex.addMessage(notebooks.MessageText, fmt.Sprint(rows[0].Fields[0]))
		return
	}
	m, _ := NewMaterializer(Options{Mode: DisplayUpdate, MaxRows: ex.k.cfg.MaxRows})
	m.SetColumns(cols)
	changes := make([]Change, len(rows))
	for i, row := range rows {
		changes[i] = Change{Kind: RowKind(row.Kind), Fields: row.Fields}
	}
	_ = m.Apply(changes)
	ex.addResult(m.Snapshot().Message())
}

// isOK reports whether a result is the gateway's plain success: one column
// "result" with the single row "OK".
func isOK(f *flink.Fetcher, rows []flink.Row) bool {
	return len(f.Columns) == 1 && f.Columns[0].Name == "result" && len(rows) == 1 &&
		len(rows[0].Fields) == 1 && rows[0].Fields[0] == "OK"
}

// successText is the short confirmation shown for a statement that returns
// only OK, worded as Zeppelin's Flink interpreter words it.
func successText(st Statement) string {
	words := strings.Fields(strings.ToUpper(st.Text))
	if len(words) == 0 {
		return "OK"
	}
	object := func() string {
		for _, w := range words[1:] {
			switch w {
			case "TEMPORARY", "TEMPORARY,", "SYSTEM", "OR", "REPLACE", "IF", "NOT", "EXISTS":
				continue
			}
			return strings.ToLower(w)
		}
		return "object"
	}
	capital := func(s string) string { return strings.ToUpper(s[:1]) + s[1:] }
	switch words[0] {
	case "CREATE":
		return capital(object()) + " has been created."
	case "DROP":
		return capital(object()) + " has been dropped."
	case "ALTER":
		return capital(object()) + " has been altered."
	case "USE":
		return "The current catalog or database has been changed."
	case "SET":
		return "Property has been set."
	case "RESET":
		return "Properties have been reset."
	case "BEGIN":
		return "Statement set begun: the following INSERTs run as one job at END."
	}
	if st.Kind == StmtDML {
		return "Statement added to the statement set."
	}
	return "OK"
}

// errorText is the message shown for a failed statement: the gateway's root
// cause first, then its context.
func errorText(err error) (msg, trace string) {
	var apiErr *flink.APIError
	if errors.As(err, &apiErr) {
		return withHint(apiErr.Message()), apiErr.Trace
	}
	var py *pythonFailure
	if errors.As(err, &py) {
		return eddy.ErrorMessage(py.err), py.trace
	}
	var gone *flink.UnreachableError
	if errors.As(err, &gone) {
		return fmt.Sprintf("The %s (%s) stopped answering while this paragraph ran: it crashed or is restarting, and the run was lost. "+
			"Run the paragraph again once the cluster is ready.", gone.Service, gone.URL), gone.Error()
	}
	if eddy.ErrorCode(err) != eddy.EINTERNAL {
		return eddy.ErrorMessage(err), ""
	}
	return err.Error(), ""
}

// hints explain Flink errors whose text alone leaves users guessing: a
// message that matches gets the hint appended ($1 and so on are the
// pattern's groups).
var hints = []struct {
	match *regexp.Regexp
	hint  string
}{
	{regexp.MustCompile(`(?i)can ?not find the submitted operation|operation .* does not exist`),
		"The SQL Gateway no longer knows this query: it restarted, and the run was lost. Run the paragraph again."},
	{regexp.MustCompile(`does not host this topic-partition`),
		"The Kafka topic does not exist yet: Kafka creates a topic when the first record is written to it. " +
			"Start the writer first, or read with 'topic-pattern' = '<topic>' and 'scan.topic-partition-discovery.interval' = '2 s', which find the topic once it exists."},
	{regexp.MustCompile(`Could not find any factory for identifier '([^']*)' that implements '[^']*DynamicTable(?:Source|Sink)?Factory'`),
		"There is no connector '$1' on this cluster (the identifiers above are the ones installed). " +
			"Eddy's local cluster ships kafka, upsert-kafka, filesystem, datagen, print and blackhole, with the json, csv, avro, parquet and raw formats. " +
			"Another connector's SQL jar (flink-sql-connector-…) goes into the connectors directory (--connectors-dir, .flink/connectors) and takes effect when Eddy restarts; see docs/kafka.md."},
	{regexp.MustCompile(`Could not find any format factory for identifier '([^']*)'`),
		"There is no format '$1' on this cluster. Eddy's local cluster ships json, csv, avro, parquet and raw; another format's SQL jar goes into the connectors directory (--connectors-dir) and takes effect when Eddy restarts."},
}

func withHint(msg string) string {
	for _, h := range hints {
		if m := h.match.FindStringSubmatchIndex(msg); m != nil {
			return msg + "\n\n" + string(h.match.ExpandString(nil, h.hint, msg, m))
		}
	}
	return msg
}

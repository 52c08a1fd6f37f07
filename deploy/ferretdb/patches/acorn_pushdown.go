// Copied by deploy/provision.py into FerretDB's vendored SQLite backend (package sqlite), where
// collection.Query and collection.Explain call acornFilterPushdown.
//
// FerretDB 1.24 pushes only a filter of exactly `{_id: <string or ObjectID>}` down to SQLite; every
// other filter reads the whole table and filters in Go. Acorn also needs, through the `_id` index:
//   - `{_id: {$in: [...]}}`: many documents by id in one query;
//   - `{_id: {$regex: "^prefix"}}`: the documents whose string id starts with a literal prefix;
//   - any of these beside other conditions (`{_id: x, version: {$lt: 3}}`, a conditional upsert):
//     the `_id` part narrows the rows and the handler checks the rest.
//
// The handler filters every row the backend returns again, so a clause here may select more rows
// than the filter but never fewer. `_id` is compared as FerretDB's JSON text of it (a string is
// `"text"`), the form the `_id` index holds; a prefix made of characters JSON never escapes has the
// JSON text `"prefix...` for exactly the strings that start with it.

package sqlite

import (
	"fmt"
	"strings"

	"github.com/FerretDB/FerretDB/internal/backends/sqlite/metadata"
	"github.com/FerretDB/FerretDB/internal/handler/sjson"
	"github.com/FerretDB/FerretDB/internal/types"
	"github.com/FerretDB/FerretDB/internal/util/must"
)

// acornMaxIn stays well under SQLite's limit of bound parameters per statement (32,766).
const acornMaxIn = 10_000

// acornFilterPushdown returns the WHERE clause and its arguments for the `_id` condition of a
// top-level filter (its conditions are ANDed), or no clause.
func acornFilterPushdown(filter *types.Document) (string, []any) {
	count := 0
	for _, key := range filter.Keys() {
		if key == "_id" {
			count++
		}
	}
	if count != 1 { // none, or a repeated key the handler will refuse
		return "", nil
	}
	return acornIDPushdown(must.NotFail(filter.Get("_id")))
}

// acornIDPushdown returns the WHERE clause and its arguments for a filter value on `_id`, or no
// clause when the filter cannot be narrowed by the index.
func acornIDPushdown(v any) (string, []any) {
	switch v := v.(type) {
	case string, types.ObjectID:
		return fmt.Sprintf(` WHERE %s = ?`, metadata.IDColumn), []any{acornJSON(v)}
	case types.Regex:
		return acornPrefix(v.Pattern, v.Options)
	case *types.Document:
		if v.Len() != 1 {
			return "", nil
		}
		if in, err := v.Get("$in"); err == nil {
			return acornIn(in)
		}
		if re, err := v.Get("$regex"); err == nil {
			switch re := re.(type) {
			case string:
				return acornPrefix(re, "")
			case types.Regex:
				return acornPrefix(re.Pattern, re.Options)
			}
		}
	}
	return "", nil
}

func acornJSON(v any) string {
	return string(must.NotFail(sjson.MarshalSingleValue(v)))
}

func acornIn(in any) (string, []any) {
	values, ok := in.(*types.Array)
	if !ok || values.Len() == 0 || values.Len() > acornMaxIn {
		return "", nil
	}
	args := make([]any, 0, values.Len())
	for i := 0; i < values.Len(); i++ {
		switch value := must.NotFail(values.Get(i)).(type) {
		case string, types.ObjectID:
			args = append(args, acornJSON(value))
		default:
			return "", nil // numbers, documents, regexes: left to the handler
		}
	}
	marks := strings.TrimSuffix(strings.Repeat("?, ", len(args)), ", ")
	return fmt.Sprintf(` WHERE %s IN (%s)`, metadata.IDColumn, marks), args
}

// acornPrefix narrows `^literal` (no options) to a range of the index.
func acornPrefix(pattern, options string) (string, []any) {
	if options != "" || !strings.HasPrefix(pattern, "^") {
		return "", nil
	}
	prefix := pattern[1:]
	if prefix == "" {
		return "", nil
	}
	for _, r := range prefix {
		if !acornPlainRune(r) {
			return "", nil
		}
	}
	// every character is ASCII, so incrementing the last byte gives the first string past the range
	next := prefix[:len(prefix)-1] + string(prefix[len(prefix)-1]+1)
	clause := fmt.Sprintf(` WHERE %s >= ? AND %s < ?`, metadata.IDColumn, metadata.IDColumn)
	return clause, []any{`"` + prefix, `"` + next}
}

// acornPlainRune: characters that are literal in a regular expression and never escaped in JSON.
func acornPlainRune(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' ||
		r == '_' || r == '-' || r == ':' || r == '/' || r == '@' || r == '#'
}

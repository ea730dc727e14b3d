package render

import (
	"encoding/json"
	"io"

	"github.com/jtune/jtune/cmd/jtune/internal/session"
)

// JSON writes the record as jtune --json prints it and the state file
// holds it.
func JSON(w io.Writer, r *session.Record) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

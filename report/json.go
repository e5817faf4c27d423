package report

import (
	"encoding/json"
	"io"

	"github.com/elfdoctor/elfdoctor/inspect"
)

// SchemaVersion is the version of the JSON output. It changes only when a
// field is removed or changes meaning; new fields may appear at any time.
const SchemaVersion = 1

// Envelope wraps every JSON result. Result is an *inspect.Summary for
// "inspect" and an *inspect.Diff for "diff".
type Envelope struct {
	SchemaVersion    int    `json:"schema_version"`
	Command          string `json:"command"`
	ElfdoctorVersion string `json:"elfdoctor_version"`
	Result           any    `json:"result"`
}

func writeJSON(w io.Writer, command, version string, result any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(Envelope{
		SchemaVersion:    SchemaVersion,
		Command:          command,
		ElfdoctorVersion: version,
		Result:           result,
	})
}

// normalizeSummary returns s, or a shallow copy of it in which the lists
// the schema promises are arrays are never null.
func normalizeSummary(s *inspect.Summary) *inspect.Summary {
	c := *s
	if c.Segments == nil {
		c.Segments = []inspect.Segment{}
	}
	copied := false
	for i := range c.Segments {
		if c.Segments[i].Sections != nil {
			continue
		}
		if !copied {
			c.Segments, copied = append([]inspect.Segment(nil), c.Segments...), true
		}
		c.Segments[i].Sections = []string{}
	}
	if c.Dynamic != nil {
		dyn := *c.Dynamic
		if dyn.Needed == nil {
			dyn.Needed = []string{}
		}
		if dyn.Entries == nil {
			dyn.Entries = []inspect.DynEntrySum{}
		}
		if dyn.Pointers == nil {
			dyn.Pointers = []inspect.PointerSum{}
		}
		c.Dynamic = &dyn
	}
	return &c
}

// normalizeDiff is normalizeSummary for a Diff: an identical pair has no
// changes, which is written as [] rather than null.
func normalizeDiff(d *inspect.Diff) *inspect.Diff {
	c := *d
	if c.Changes == nil {
		c.Changes = []inspect.Change{}
	}
	if c.Segments == nil {
		c.Segments = []inspect.SegDiff{}
	}
	if c.Pointers == nil {
		c.Pointers = []inspect.PtrDiff{}
	}
	if c.Sections == nil {
		c.Sections = []inspect.SecDiff{}
	}
	return &c
}

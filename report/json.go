package report

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/elfdoctor/elfdoctor/bisect"
	"github.com/elfdoctor/elfdoctor/inspect"
	"github.com/elfdoctor/elfdoctor/internal/safeopen"
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

// maxBisectJSON bounds what ReadBisect reads: a bisection of thousands of
// versions in a dozen images is a few megabytes.
const maxBisectJSON = 64 << 20

// ReadBisect reads what writeJSON wrote for `elfdoctor --format json
// bisect`, for a bug report to include.
func ReadBisect(path string) (*bisect.Result, error) {
	f, err := safeopen.Regular(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxBisectJSON+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxBisectJSON {
		return nil, fmt.Errorf("%s: larger than %d MiB, not a bisection's JSON", path, maxBisectJSON>>20)
	}
	var env struct {
		SchemaVersion int             `json:"schema_version"`
		Command       string          `json:"command"`
		Result        json.RawMessage `json:"result"`
	}
	_ = json.Unmarshal(b, &env)
	if env.Command != "bisect" || env.SchemaVersion != SchemaVersion {
		return nil, fmt.Errorf("%s: not the JSON of `elfdoctor --format json bisect` (command %q, schema_version %d)", path, env.Command, env.SchemaVersion)
	}
	var r bisect.Result
	if err := json.Unmarshal(env.Result, &r); err != nil {
		return nil, fmt.Errorf("%s: bisect result: %v", path, err)
	}
	return &r, nil
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

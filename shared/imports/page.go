package imports

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
)

// ErrFile is a problem with the file as a whole (no header, a mapped
// column missing): the import fails rather than reporting every row.
var ErrFile = errors.New("file")

// Row is a valid row, ready to import.
type Row struct {
	Line    int
	Email   string // normalised
	Phone   string // E.164, "" when none
	Traits  map[string]any
	Tags    []string
	Consent bool // the row's consent column said yes
	// ContactID is the contact the row goes to, once its email is claimed;
	// New says the import created it.
	ContactID string
	New       bool
}

// RowError is a row left out, with why.
type RowError struct {
	Line   int
	Email  string // as written in the file (may be empty or invalid)
	Reason string
}

// Page is what one page of the file held.
type Page struct {
	Rows   []Row
	Errors []RowError
	// Read counts the data rows read (valid or not).
	Read int
	// Next is where the page after this one starts; Done means there is none.
	Next Checkpoint
	Done bool
	// Bytes is how many bytes of the file the page consumed.
	Bytes int64
}

var bom = []byte{0xEF, 0xBB, 0xBF}

// ReadPage reads up to max data rows of the file r, which starts at cp's
// offset (the whole file when the offset is 0), and checks each row. It reads
// only as far as the page needs (plus the CSV reader's buffer), never the
// whole file, so a page can be read with a ranged GET of the object.
func ReadPage(r io.Reader, d Definition, cp Checkpoint, max int) (Page, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	next := cp
	var skipped int64
	if cp.Offset == 0 {
		next.Line = 1
		// Excel's "CSV UTF-8" starts with a byte order mark.
		if b, err := br.Peek(3); err == nil && bytes.Equal(b, bom) {
			br.Discard(3)
			skipped = 3
		}
	}
	cr := csv.NewReader(br)
	cr.FieldsPerRecord = -1 // checked per row, so one short row is one error
	cr.ReuseRecord = false
	var page Page
	if cp.Offset == 0 {
		header, err := cr.Read()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return page, fmt.Errorf("%w: the file is empty", ErrFile)
			}
			return page, fmt.Errorf("%w: header row: %v", ErrFile, err)
		}
		for i := range header {
			header[i] = strings.TrimSpace(header[i])
		}
		if err := checkHeader(d, header); err != nil {
			return page, err
		}
		next.Header = header
	}
	cols, err := mapColumns(d, next.Header)
	if err != nil {
		return page, err
	}
	// A record's line relative to this reader, made absolute: the first
	// page's reader starts at line 1; a later page's first record is the
	// one its checkpoint names the line of (blank lines before it, left
	// over from the page before, are skipped by the CSV reader).
	rel0 := -1
	absolute := func(rel int) int {
		if cp.Offset == 0 {
			return rel
		}
		if rel0 < 0 {
			rel0 = rel
		}
		return cp.Line + rel - rel0
	}
	for {
		before := cr.InputOffset()
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			page.Done = true
			page.Bytes = skipped + before
			next.Offset = cp.Offset + page.Bytes
			break
		}
		rel := 0
		var pe *csv.ParseError
		switch {
		case err == nil:
			rel, _ = cr.FieldPos(0)
		case errors.As(err, &pe):
			rel = pe.StartLine
		default:
			return page, fmt.Errorf("read the file: %w", err)
		}
		line := absolute(rel)
		if page.Read == max {
			// This record belongs to the next page: stop before it.
			page.Bytes = skipped + before
			next.Offset = cp.Offset + page.Bytes
			next.Line = line
			break
		}
		page.Read++
		if err != nil {
			page.Errors = append(page.Errors, RowError{Line: line, Reason: "malformed CSV: " + pe.Err.Error()})
			continue
		}
		row, bad := cols.row(line, rec)
		if bad != nil {
			page.Errors = append(page.Errors, *bad)
			continue
		}
		page.Rows = append(page.Rows, row)
	}
	page.Next = next
	page.Next.Page = cp.Page + 1
	return page, nil
}

func checkHeader(d Definition, header []string) error {
	var missing []string
	for _, h := range d.headers() {
		if !slices.Contains(header, h) {
			missing = append(missing, fmt.Sprintf("%q", h))
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("%w: the header row has no column %s (it has %s)", ErrFile, strings.Join(missing, ", "), clip(strings.Join(header, ", "), 300))
	}
	return nil
}

// headers lists every header the mapping names.
func (d Definition) headers() []string {
	hs := []string{d.Columns.Email}
	for _, h := range []string{d.Columns.Phone, d.Columns.Tags, d.Columns.Consent} {
		if h != "" {
			hs = append(hs, h)
		}
	}
	for _, name := range sortedKeys(d.Columns.Traits) {
		hs = append(hs, d.Columns.Traits[name])
	}
	return hs
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

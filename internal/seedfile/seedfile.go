// Package seedfile reads the CSV seed files that hardware OATH (TOTP) token vendors ship: the Entra admin center
// layout `upn,serial number,secret key,time interval,manufacturer,model` and its common variants.
//
// Errors name the line and the column and never contain a seed, so callers can put them in diagnostics.
package seedfile

import (
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/entraoath/terraform-provider-entraoath/internal/totp"
)

// Encoding says how the seeds in a file are written.
type Encoding string

const (
	// EncodingFromHeader reads seeds as Base32 unless the seed column's header marks them as hex
	// ("secret key (hex)", "hex secret", "seed_hex").
	EncodingFromHeader Encoding = ""
	// EncodingBase32 reads seeds as Base32 (RFC 4648), the encoding Graph accepts.
	EncodingBase32 Encoding = "base32"
	// EncodingHex reads seeds as hex and converts them to Base32.
	EncodingHex Encoding = "hex"
)

// Defaults for optional columns, as Graph applies them.
const (
	DefaultTimeInterval = 30
	DefaultHashFunction = totp.HashSHA1
)

// Token is one row of a seed file, normalised for Graph.
type Token struct {
	UserPrincipalName string // "" when the file has no upn column or the cell is empty
	SerialNumber      string // as written, leading zeros kept
	SecretKey         string // upper-case unpadded Base32
	TimeInterval      int64  // 30 or 60
	HashFunction      string // totp.HashSHA1 or totp.HashSHA256
	Manufacturer      string // "" when absent
	Model             string // "" when absent
}

// Error is a problem at a line (1-based) and, where it concerns one cell, a column (its header as written).
type Error struct {
	Line   int
	Column string
	Msg    string
}

func (e *Error) Error() string {
	if e.Column == "" {
		return fmt.Sprintf("line %d: %s", e.Line, e.Msg)
	}
	return fmt.Sprintf("line %d, column %q: %s", e.Line, e.Column, e.Msg)
}

type field int

const (
	fieldUPN field = iota
	fieldSerial
	fieldSecret
	fieldInterval
	fieldHash
	fieldManufacturer
	fieldModel
)

// fieldNames are the canonical (Entra admin center) header names, used in messages.
var fieldNames = map[field]string{
	fieldUPN:          "upn",
	fieldSerial:       "serial number",
	fieldSecret:       "secret key",
	fieldInterval:     "time interval",
	fieldHash:         "hash function",
	fieldManufacturer: "manufacturer",
	fieldModel:        "model",
}

// headerAliases maps header names, lower-cased with everything but letters and digits removed, to fields.
// Other columns (vendors add batch and order numbers, notes) are ignored unless Options.Strict, but not those
// that look like a token setting (settingWords): a misspelt "time interval" must not turn 60-second tokens into
// 30-second ones.
var headerAliases = map[string]field{
	"upn": fieldUPN, "userprincipalname": fieldUPN, "user": fieldUPN, "username": fieldUPN,
	"serialnumber": fieldSerial, "serial": fieldSerial, "serialno": fieldSerial, "sn": fieldSerial,
	"secretkey": fieldSecret, "secret": fieldSecret, "seed": fieldSecret, "key": fieldSecret,
	"timeinterval": fieldInterval, "timeintervalinseconds": fieldInterval, "interval": fieldInterval,
	"period": fieldInterval, "timestep": fieldInterval,
	"hash": fieldHash, "hashfunction": fieldHash, "algorithm": fieldHash, "hashalgorithm": fieldHash,
	"manufacturer": fieldManufacturer, "vendor": fieldManufacturer,
	"model": fieldModel,
}

// settingWords mark a header that names a token setting although it is none of headerAliases, such as
// "time interval (s)" or "hash algo": an error in every mode.
var settingWords = []struct {
	word string
	f    field
}{
	{"interval", fieldInterval}, {"period", fieldInterval}, {"timestep", fieldInterval},
	{"hash", fieldHash}, {"algorithm", fieldHash}, {"sha", fieldHash},
	{"secret", fieldSecret}, {"seed", fieldSecret},
	{"serial", fieldSerial},
}

// lookalike returns the field an unknown header seems to mean.
func lookalike(name string) (field, bool) {
	key := canonicalHeader(name)
	for _, w := range settingWords {
		if strings.Contains(key, w.word) {
			return w.f, true
		}
	}
	return 0, false
}

// canonicalHeader lower-cases a header name and keeps only letters and digits, so "Serial_Number",
// "serial number" and "SerialNumber" compare equal.
func canonicalHeader(name string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(name) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// identifyColumn returns the field a header names and, for the seed column, the encoding the header declares
// ("secret key (hex)", "hex_secret", "seed base32").
func identifyColumn(name string) (field, Encoding, bool) {
	key := canonicalHeader(name)
	if f, ok := headerAliases[key]; ok {
		return f, EncodingFromHeader, true
	}
	for _, enc := range []Encoding{EncodingHex, EncodingBase32} {
		for _, rest := range []string{strings.TrimPrefix(key, string(enc)), strings.TrimSuffix(key, string(enc))} {
			if f, ok := headerAliases[rest]; ok && rest != key && f == fieldSecret {
				return f, enc, true
			}
		}
	}
	return 0, EncodingFromHeader, false
}

const knownColumns = "the columns are upn, serial number, secret key (or \"secret key (hex)\"), time interval, " +
	"hash function, manufacturer and model"

type header struct {
	columns  map[field]int // field -> index in the record
	names    []string      // header names as written, for messages
	encoding Encoding      // what the seed column's header declares
}

func (h header) name(f field) string { return h.names[h.columns[f]] }

func parseHeader(record []string, line int, strict bool) (header, error) {
	h := header{columns: map[field]int{}, names: make([]string, len(record))}
	known := false
	for _, raw := range record {
		_, _, ok := identifyColumn(raw)
		known = known || ok
	}
	if !known {
		// Most likely a file without a header row: the cells are data, seeds among them, so none is quoted.
		return h, &Error{Line: line, Msg: "the first row is not a header row (none of its cells names a column); " +
			"add one such as upn,serial number,secret key,time interval,manufacturer,model"}
	}
	var unknown []string
	for i, raw := range record {
		name := strings.TrimSpace(raw)
		h.names[i] = name
		if name == "" {
			return h, &Error{Line: line, Msg: fmt.Sprintf("column %d of the header has no name", i+1)}
		}
		f, enc, ok := identifyColumn(name)
		if !ok {
			if like, ok := lookalike(name); ok {
				return h, &Error{Line: line, Column: headerCellName(i, name), Msg: fmt.Sprintf("looks like the %s column "+
					"but is not one of its names; name it %q (or remove the column)", fieldNames[like], fieldNames[like])}
			}
			unknown = append(unknown, headerCellName(i, name))
			continue
		}
		if prev, dup := h.columns[f]; dup {
			return h, &Error{Line: line, Column: name, Msg: fmt.Sprintf("names the %s again (column %d already does)", fieldNames[f], prev+1)}
		}
		h.columns[f] = i
		if f == fieldSecret {
			h.encoding = enc
		}
	}
	switch {
	case !strict || len(unknown) == 0:
	case len(unknown) == 1:
		return h, &Error{Line: line, Column: unknown[0], Msg: "unknown column; " + knownColumns + ". Rename or remove the column"}
	default:
		return h, &Error{Line: line, Msg: fmt.Sprintf("unknown columns %q; %s. Rename or remove them", unknown, knownColumns)}
	}
	for _, f := range []field{fieldSerial, fieldSecret} {
		if _, ok := h.columns[f]; !ok {
			return h, &Error{Line: line, Msg: fmt.Sprintf("the header has no %q column; a seed file needs at least "+
				"serial number and secret key, as in upn,serial number,secret key,time interval,manufacturer,model", fieldNames[f])}
		}
	}
	return h, nil
}

// delimiter picks the separator from the header line: a comma, unless the header has none and uses
// semicolons (spreadsheets in locales with a decimal comma) or tabs.
func delimiter(content string) rune {
	var first string
	for l := range strings.Lines(content) {
		if first = strings.TrimSpace(l); first != "" {
			break
		}
	}
	if strings.Contains(first, ",") {
		return ','
	}
	for _, d := range []rune{';', '\t'} {
		if strings.ContainsRune(first, d) {
			return d
		}
	}
	return ','
}

// Options say how to read a seed file.
type Options struct {
	// Encoding overrides what the header declares about the seeds' encoding; a file whose header says hex cannot
	// be read as Base32.
	Encoding Encoding
	// Strict refuses columns that name no field instead of ignoring them.
	Strict bool
}

// Parse reads a seed file. Serial numbers must be unique. The tokens come in file order.
func Parse(content string, opts Options) ([]Token, error) {
	enc := opts.Encoding
	if enc != EncodingFromHeader && enc != EncodingBase32 && enc != EncodingHex {
		return nil, fmt.Errorf("unknown seed encoding %q; use %q or %q", enc, EncodingBase32, EncodingHex)
	}
	if err := checkSize(content); err != nil {
		return nil, err
	}
	content = strings.TrimPrefix(content, "\ufeff") // Excel writes a UTF-8 byte order mark
	r := csv.NewReader(strings.NewReader(content))
	r.Comma = delimiter(content)
	// Strict quoting (LazyQuotes off): a stray quote fails with its line instead of silently swallowing a
	// separator into a seed or serial number.
	r.FieldsPerRecord = -1 // checked below, with a clearer message
	r.TrimLeadingSpace = true

	var h header
	var tokens []Token
	seen := map[string]int{} // serial number -> line
	for {
		record, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, csvError(err)
		}
		line, _ := r.FieldPos(0)
		if blank(record) {
			continue
		}
		if h.columns == nil {
			if h, err = parseHeader(record, line, opts.Strict); err != nil {
				return nil, err
			}
			if enc == EncodingFromHeader {
				enc = h.encoding
			} else if h.encoding != EncodingFromHeader && h.encoding != enc {
				return nil, &Error{Line: line, Column: h.name(fieldSecret),
					Msg: fmt.Sprintf("the header says the seeds are %s, but they were to be read as %s", h.encoding, enc)}
			}
			continue
		}
		if len(record) != len(h.names) {
			return nil, &Error{Line: line, Msg: fmt.Sprintf("the row has %d fields but the header has %d; "+
				"put double quotes around values that contain the separator", len(record), len(h.names))}
		}
		t, err := h.token(record, line, enc)
		if err != nil {
			return nil, err
		}
		if prev, dup := seen[t.SerialNumber]; dup {
			return nil, &Error{Line: line, Column: h.name(fieldSerial),
				Msg: fmt.Sprintf("serial number %q is also on line %d; each token must appear once", t.SerialNumber, prev)}
		}
		seen[t.SerialNumber] = line
		if len(tokens) == MaxRows {
			return nil, &Error{Line: line, Msg: tooBig(fmt.Sprintf("more than %d token rows", MaxRows))}
		}
		tokens = append(tokens, t)
	}
	if h.columns == nil {
		return nil, &Error{Line: 1, Msg: "the file is empty; it needs a header row such as " +
			"upn,serial number,secret key,time interval,manufacturer,model"}
	}
	return tokens, nil
}

// csvError rewords encoding/csv's syntax errors, which carry positions but no field content.
func csvError(err error) error {
	var pe *csv.ParseError
	if !errors.As(err, &pe) {
		return err
	}
	return &Error{Line: pe.Line, Msg: fmt.Sprintf("character %d: %v; put double quotes around the whole value "+
		"and double any quote inside it", pe.Column, pe.Err)}
}

// blank reports a row with only empty cells, as spreadsheets export trailing rows.
func blank(record []string) bool {
	for _, v := range record {
		if strings.TrimSpace(v) != "" {
			return false
		}
	}
	return true
}

func (h header) token(record []string, line int, enc Encoding) (Token, error) {
	cell := func(f field) string {
		if i, ok := h.columns[f]; ok {
			return strings.TrimSpace(record[i])
		}
		return ""
	}
	fail := func(f field, msg string) error { return &Error{Line: line, Column: h.name(f), Msg: msg} }

	t := Token{
		UserPrincipalName: cell(fieldUPN),
		SerialNumber:      cell(fieldSerial),
		Manufacturer:      cell(fieldManufacturer),
		Model:             cell(fieldModel),
		TimeInterval:      DefaultTimeInterval,
		HashFunction:      DefaultHashFunction,
	}
	if t.SerialNumber == "" {
		return t, fail(fieldSerial, "the serial number is empty")
	}

	seed, err := decodeSeed(cell(fieldSecret), enc)
	if err != nil {
		return t, fail(fieldSecret, err.Error())
	}
	t.SecretKey = seed

	if v := cell(fieldInterval); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return t, fail(fieldInterval, fmt.Sprintf("%s is not a whole number of seconds; use 30 or 60", quoteShort(v)))
		}
		if err := totp.ValidatePeriod(n); err != nil {
			return t, fail(fieldInterval, err.Error())
		}
		t.TimeInterval = n
	}

	if v := cell(fieldHash); v != "" {
		hash, ok := NormalizeHash(v)
		if !ok {
			return t, fail(fieldHash, fmt.Sprintf("%s is not SHA-1 or SHA-256; use sha1, sha256, hmacsha1 or hmacsha256", quoteShort(v)))
		}
		t.HashFunction = hash
	}
	return t, nil
}

// quoteShort quotes a cell for a message only when it is too short to be a seed (Graph's minimum is 16 Base32
// characters): a file whose header misnames its columns could otherwise put a seed in an error.
// headerCellName names header cell i for an error: by its text when that is too short to be a seed (a file without
// a header row has data, seeds among them, in its first row), else by its position.
func headerCellName(i int, name string) string {
	if len(name) < totp.MinBase32Length {
		return name
	}
	return fmt.Sprintf("#%d", i+1)
}

func quoteShort(v string) string {
	if len(v) < totp.MinBase32Length {
		return strconv.Quote(v)
	}
	return fmt.Sprintf("a %d-character value", len(v))
}

func decodeSeed(v string, enc Encoding) (string, error) {
	if v == "" {
		return "", errors.New("the secret key is empty")
	}
	if enc == EncodingHex {
		return totp.HexToBase32(v)
	}
	s, err := totp.NormalizeBase32(v)
	if err != nil && looksHex(v) {
		// Only the message depends on this: seeds are never converted by guessing.
		return "", errors.New("the secret key is not Base32 (A-Z, 2-7) and looks like hex; if this file's seeds " +
			"are hex, name the column \"secret key (hex)\" or declare the encoding (parse_token_csv's \"hex\" argument)")
	}
	return s, err
}

func looksHex(v string) bool {
	_, err := hex.DecodeString(v)
	return err == nil
}

// NormalizeHash maps the hash names vendors use (SHA1, sha-256, HMAC-SHA256, hmacsha1…) to Graph's.
func NormalizeHash(name string) (string, bool) {
	switch strings.NewReplacer("-", "", "_", "", " ", "").Replace(strings.ToLower(strings.TrimSpace(name))) {
	case "sha1", "hmacsha1":
		return totp.HashSHA1, true
	case "sha256", "hmacsha256":
		return totp.HashSHA256, true
	}
	return "", false
}

// Limits of one file, far above a real delivery, so that a wrong file (a log, a database export) fails with a clear
// message instead of holding a plan's memory.
const (
	MaxBytes = 64 << 20 // 64 MiB
	MaxRows  = 200_000  // token rows, the header not counted
)

// checkSize refuses content above MaxBytes before any of it is parsed.
func checkSize(content string) error {
	if len(content) > MaxBytes {
		return errors.New(tooBig(fmt.Sprintf("%.1f MiB, more than %d MiB", float64(len(content))/(1<<20), MaxBytes>>20)))
	}
	return nil
}

func tooBig(what string) string {
	return fmt.Sprintf("the file has %s; one call reads at most %d MiB and %d token rows. Split the file into parts "+
		"and merge() the maps that parse_token_csv returns for each part", what, MaxBytes>>20, MaxRows)
}

package seedfile

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// The RFC 6238 seed "12345678901234567890" in both encodings vendors use.
const (
	seedB32 = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
	seedHex = "3132333435363738393031323334353637383930"
	seed2   = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
)

func TestParse(t *testing.T) {
	entra := Token{UserPrincipalName: "helga@contoso.com", SerialNumber: "1234567", SecretKey: seedB32,
		TimeInterval: 60, HashFunction: "hmacsha1", Manufacturer: "Contoso", Model: "HardwareKey"}
	tests := []struct {
		name    string
		content string
		enc     Encoding
		want    []Token
	}{
		{
			name:    "entra admin center layout",
			content: "upn,serial number,secret key,time interval,manufacturer,model\nhelga@contoso.com,1234567," + seedB32 + ",60,Contoso,HardwareKey\n",
			want:    []Token{entra},
		},
		{
			name:    "BOM, CRLF, blank lines and spreadsheet blank rows",
			content: "\ufeffupn,serial number,secret key,time interval,manufacturer,model\r\n\r\nhelga@contoso.com,1234567," + seedB32 + ",60,Contoso,HardwareKey\r\n,,,,,\r\n   \r\n",
			want:    []Token{entra},
		},
		{
			name:    "header spelling variants and column order",
			content: "Model;Manufacturer;TimeInterval;SecretKey;Serial_Number;UPN\nHardwareKey;Contoso;60;" + seedB32 + ";1234567;helga@contoso.com\n",
			want:    []Token{entra},
		},
		{
			name:    "quoted fields, spaces after separators, lower-case padded seed",
			content: "upn, serial number, secret key, time interval, manufacturer, model\n\"helga@contoso.com\", \"1234567\", \"" + strings.ToLower(seedB32) + "====\", 60, \"Contoso\", \"Hardware, Key \"\"2\"\"\"\n",
			want: []Token{{UserPrincipalName: "helga@contoso.com", SerialNumber: "1234567", SecretKey: seedB32,
				TimeInterval: 60, HashFunction: "hmacsha1", Manufacturer: "Contoso", Model: `Hardware, Key "2"`}},
		},
		{
			name:    "no upn column, missing interval and hash take defaults, leading zeros kept",
			content: "serial,seed,manufacturer,model\n000123," + seedB32 + ",Token2,C202\n",
			want: []Token{{SerialNumber: "000123", SecretKey: seedB32, TimeInterval: 30, HashFunction: "hmacsha1",
				Manufacturer: "Token2", Model: "C202"}},
		},
		{
			name:    "empty interval, hash and upn cells take defaults",
			content: "upn,serial number,secret key,time interval,hash,manufacturer,model\n,0042," + seedB32 + ",,,Token2,C202\n",
			want: []Token{{SerialNumber: "0042", SecretKey: seedB32, TimeInterval: 30, HashFunction: "hmacsha1",
				Manufacturer: "Token2", Model: "C202"}},
		},
		{
			name: "hash column spellings",
			content: "serial number,secret key,algorithm\n1," + seedB32 + ",SHA1\n2," + seedB32 + ",SHA-256\n3," + seedB32 +
				",hmacsha256\n4," + seedB32 + ",HMAC-SHA1\n",
			want: []Token{
				{SerialNumber: "1", SecretKey: seedB32, TimeInterval: 30, HashFunction: "hmacsha1"},
				{SerialNumber: "2", SecretKey: seedB32, TimeInterval: 30, HashFunction: "hmacsha256"},
				{SerialNumber: "3", SecretKey: seedB32, TimeInterval: 30, HashFunction: "hmacsha256"},
				{SerialNumber: "4", SecretKey: seedB32, TimeInterval: 30, HashFunction: "hmacsha1"},
			},
		},
		{
			name:    "hex seeds declared by the header",
			content: "serial number,secret key (hex),time interval\nA1," + seedHex + ",30\n",
			want:    []Token{{SerialNumber: "A1", SecretKey: seedB32, TimeInterval: 30, HashFunction: "hmacsha1"}},
		},
		{
			name:    "hex seeds declared by a seed_hex header",
			content: "Serial_Number,Seed_Hex\nA1," + strings.ToUpper(seedHex) + "\n",
			want:    []Token{{SerialNumber: "A1", SecretKey: seedB32, TimeInterval: 30, HashFunction: "hmacsha1"}},
		},
		{
			name:    "hex seeds declared by a hex secret header",
			content: "serial number\thex secret\nA1\t" + seedHex + "\n",
			want:    []Token{{SerialNumber: "A1", SecretKey: seedB32, TimeInterval: 30, HashFunction: "hmacsha1"}},
		},
		{
			name:    "hex seeds declared by the caller",
			content: "serial number,secret key\nA1," + seedHex + "\n",
			enc:     EncodingHex,
			want:    []Token{{SerialNumber: "A1", SecretKey: seedB32, TimeInterval: 30, HashFunction: "hmacsha1"}},
		},
		{
			name:    "base32 declared by both header and caller",
			content: "serial number,secret key (base32)\nA1," + seedB32 + "\n",
			enc:     EncodingBase32,
			want:    []Token{{SerialNumber: "A1", SecretKey: seedB32, TimeInterval: 30, HashFunction: "hmacsha1"}},
		},
		{
			name:    "header only",
			content: "upn,serial number,secret key,time interval,manufacturer,model\n",
			want:    nil,
		},
		{
			name:    "unknown columns are ignored",
			content: "batch,serial number,order no.,secret key,notes\nB-7,000123,PO 4711," + seedB32 + ",\"desk, 2nd floor\"\n",
			want:    []Token{{SerialNumber: "000123", SecretKey: seedB32, TimeInterval: 30, HashFunction: "hmacsha1"}},
		},
		{
			name:    "several rows keep file order",
			content: "serial number,secret key\n003," + seedB32 + "\n001," + seed2 + "\n",
			want: []Token{
				{SerialNumber: "003", SecretKey: seedB32, TimeInterval: 30, HashFunction: "hmacsha1"},
				{SerialNumber: "001", SecretKey: seed2, TimeInterval: 30, HashFunction: "hmacsha1"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(tt.content, Options{Encoding: tt.enc})
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Parse:\n got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	const hdr = "upn,serial number,secret key,time interval,manufacturer,model\n"
	row := func(serial, seed, interval string) string {
		return "u@contoso.com," + serial + "," + seed + "," + interval + ",Contoso,K1\n"
	}
	const badSeed = "GEZDGNBVGY3TQOJ1GEZDGNBVGY3TQOJ0" // '1' and '0' are not Base32
	tests := []struct {
		name    string
		content string
		enc     Encoding
		want    string // substring of the error
		line    int
		column  string
	}{
		{"empty file", "", "", "the file is empty", 1, ""},
		{"only blank lines", "\r\n\n", "", "the file is empty", 1, ""},
		{"missing secret column", "upn,serial number,time interval\nu,1,30\n", "", `no "secret key" column`, 1, ""},
		{"missing serial column", "secret key,model\n" + seedB32 + ",K\n", "", `no "serial number" column`, 1, ""},
		{"strict: unknown column", "serial number,secret key,digits\n1," + seedB32 + ",6\n", "", "unknown column; the columns are", 1, "digits"},
		{"strict: unknown columns", "batch,serial number,secret key,notes\nB1,1," + seedB32 + ",n\n", "", `unknown columns ["batch" "notes"]`, 1, ""},
		// No header row, but a data cell happens to name a column: the seed in the first row must not be quoted.
		{"strict: headerless row naming a column", seedB32 + ",12345,30,Token2,model\n", "", `unknown columns ["#1" "12345" "30" "Token2"]`, 1, ""},
		{"headerless row naming a column", seedB32 + ",12345,30,Token2,model\n", "", `no "serial number" column`, 1, ""},
		// Ignored columns are other data, never a token setting spelt differently.
		{"time interval misspelt", "serial number,secret key,time interval (s)\n1," + seedB32 + ",60\n", "", `looks like the time interval column but is not one of its names; name it "time interval"`, 1, "#3"}, // a long header is named by its position: it may be a seed
		{"hash misspelt", "serial number,secret key,hash algo\n1," + seedB32 + ",sha256\n", "", `looks like the hash function column`, 1, "hash algo"},
		{"seed in an unknown encoding", "serial number,secret key (base64),model\n1,MTIzNDU2Nzg5MDEyMzQ1Njc4OTA=,K\n", "", `looks like the secret key column`, 1, "#2"},
		{"no header row", "1234567," + seedB32 + ",30\n", "", "the first row is not a header row", 1, ""},
		{"no header row, seed first", seed2 + ",1234567\n", "", "the first row is not a header row", 1, ""},
		{"unnamed column", "serial number,,secret key\n", "", "column 2 of the header has no name", 1, ""},
		{"duplicate column", "serial number,Serial_Number,secret key\n", "", "names the serial number again (column 1", 1, "Serial_Number"},
		{"bad base32 seed", hdr + row("1", badSeed, "30"), "", "not a Base32 letter", 2, "secret key"},
		{"hex seed read as base32", hdr + row("1", seedHex, "30"), "", "secret key (hex)", 2, "secret key"},
		{"bad hex seed", "serial number,secret key (hex)\n1," + seedHex + "zz\n", "", "hex digits", 2, "secret key (hex)"},
		{"short seed", hdr + row("1", "JBSWY3DP", "30"), "", "at least 16", 2, "secret key"},
		{"empty seed", hdr + row("1", "", "30"), "", "the secret key is empty", 2, "secret key"},
		{"empty serial", hdr + row("", seedB32, "30"), "", "the serial number is empty", 2, "serial number"},
		{"interval not a number", hdr + row("1", seedB32, "30s"), "", `"30s" is not a whole number`, 2, "time interval"},
		{"interval not allowed", hdr + row("1", seedB32, "45"), "", "30 or 60", 2, "time interval"},
		{"seed in the interval column", "serial number,time interval,secret key\n1," + seed2 + "," + seedB32 + "\n", "", "a 32-character value is not a whole number", 2, "time interval"},
		{"seed in the hash column", "serial number,hash,secret key\n1," + seed2 + "," + seedB32 + "\n", "", "a 32-character value is not SHA-1", 2, "hash"},
		{"bad hash", "serial number,secret key,hash function\n1," + seedB32 + ",md5\n", "", `"md5" is not SHA-1 or SHA-256`, 2, "hash function"},
		{"duplicate serial", hdr + row("0001", seedB32, "30") + "\n" + row("0001", seed2, "60"), "", `serial number "0001" is also on line 2`, 4, "serial number"},
		{"too few fields", hdr + "u@contoso.com,1," + seedB32 + ",30,Contoso\n", "", "5 fields but the header has 6", 2, ""},
		{"too many fields", hdr + row("1", seedB32, "30")[:len(row("1", seedB32, "30"))-1] + ",extra\n", "", "7 fields but the header has 6", 2, ""},
		{"bare quote", hdr + "u,1" + `"2,` + seedB32 + ",30,C,M\n", "", "bare \"", 2, ""},
		{"unterminated quote", hdr + `u,"1,` + seedB32 + ",30,C,M\n", "", "extraneous or missing \"", 2, ""},
		{"header says hex, caller says base32", "serial number,secret key (hex)\n1," + seedHex + "\n", EncodingBase32, "the header says the seeds are hex", 1, "secret key (hex)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Cases named "strict: ..." read the file in strict mode.
			_, err := Parse(tt.content, Options{Encoding: tt.enc, Strict: strings.HasPrefix(tt.name, "strict:")})
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("Parse returned %v (%T), want a *seedfile.Error", err, err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not mention %q", err, tt.want)
			}
			if tt.line != 0 && pe.Line != tt.line || pe.Column != tt.column {
				t.Errorf("error at line %d column %q, want line %d column %q (%v)", pe.Line, pe.Column, tt.line, tt.column, err)
			}
			for _, secret := range []string{seedB32, seedHex, seed2, badSeed, strings.ToLower(seedB32)} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("error echoes a seed: %v", err)
				}
			}
		})
	}
}

func TestParseRejectsUnknownEncoding(t *testing.T) {
	if _, err := Parse("serial number,secret key\n", Options{Encoding: "base64"}); err == nil || !strings.Contains(err.Error(), `"base64"`) {
		t.Errorf("got %v, want an error naming the encoding", err)
	}
}

func TestNormalizeHash(t *testing.T) {
	for in, want := range map[string]string{
		"sha1": "hmacsha1", "SHA1": "hmacsha1", "SHA-1": "hmacsha1", "hmacsha1": "hmacsha1", "HMAC_SHA1": "hmacsha1",
		"sha256": "hmacsha256", "SHA-256": "hmacsha256", "hmacsha256": "hmacsha256", " HMAC-SHA256 ": "hmacsha256",
		"md5": "", "sha512": "", "": "",
	} {
		got, ok := NormalizeHash(in)
		if got != want || ok != (want != "") {
			t.Errorf("NormalizeHash(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
}

// A file over the limits fails with a message naming the limit and how to split, before it fills memory.
func TestParseSizeLimits(t *testing.T) {
	var b strings.Builder
	b.WriteString("serial number,secret key\n")
	for i := range MaxRows + 1 {
		fmt.Fprintf(&b, "%d,%s\n", i, seedB32)
	}
	rows := b.String()
	if _, err := Parse(rows[:strings.LastIndex(rows[:len(rows)-1], "\n")+1], Options{Encoding: EncodingBase32}); err != nil {
		t.Fatalf("%d rows: %v", MaxRows, err)
	}
	_, err := Parse(rows, Options{Encoding: EncodingBase32})
	if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("line %d: the file has more than 200000 token rows", MaxRows+2)) ||
		!strings.Contains(err.Error(), "Split the file") {
		t.Fatalf("%d rows: %v", MaxRows+1, err)
	}

	big := "serial number,secret key\n1," + seedB32 + "\n" + strings.Repeat(" ", MaxBytes)
	if _, err := Parse(big, Options{Encoding: EncodingBase32}); err == nil || !strings.Contains(err.Error(), "more than 64 MiB") ||
		!strings.Contains(err.Error(), "Split the file") {
		t.Fatalf("%d bytes: %v", len(big), err)
	}
}

package totp

import (
	"crypto/rand"
	"encoding/base32"
	"errors"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// RFC 6238 Appendix B seeds: the ASCII strings "12345678901234567890" (SHA-1) and its 32-byte extension (SHA-256).
var (
	rfcSHA1   = base32.StdEncoding.EncodeToString([]byte("12345678901234567890"))
	rfcSHA256 = base32.StdEncoding.EncodeToString([]byte("12345678901234567890123456789012"))
)

func TestCodeRFC6238Vectors(t *testing.T) {
	// Appendix B codes are 8 digits; a 6-digit code is the same value modulo 10^6, i.e. the last six digits.
	vectors := []struct {
		unix         int64
		sha1, sha256 string
	}{
		{59, "94287082", "46119246"},
		{1111111109, "07081804", "68084774"},
		{1111111111, "14050471", "67062674"},
		{1234567890, "89005924", "91819424"},
		{2000000000, "69279037", "90698825"},
		{20000000000, "65353130", "77737706"},
	}
	for _, v := range vectors {
		for _, c := range []struct{ seed, hash, want string }{
			{rfcSHA1, HashSHA1, v.sha1[2:]},
			{rfcSHA256, HashSHA256, v.sha256[2:]},
		} {
			got, err := Code(c.seed, time.Unix(v.unix, 0), 30, c.hash)
			if err != nil {
				t.Fatalf("Code(%s, %d): %v", c.hash, v.unix, err)
			}
			if got != c.want {
				t.Errorf("Code(%s, %d) = %s, want %s", c.hash, v.unix, got, c.want)
			}
		}
	}
}

// TestCodeMatchesOathtool compares against Debian's oathtool, an independent implementation.
func TestCodeMatchesOathtool(t *testing.T) {
	oathtool, err := exec.LookPath("oathtool")
	if err != nil {
		t.Fatal("oathtool is not installed; `make test` installs it (apt-get install oathtool)")
	}
	for i := range 20 {
		raw := make([]byte, 10+i*2)
		if _, err := rand.Read(raw); err != nil {
			t.Fatal(err)
		}
		seed := base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(raw)
		period := []int64{30, 60}[i%2]
		hash := []string{HashSHA1, HashSHA256}[(i/2)%2]
		at := time.Unix(1_000_000_000+int64(i)*7_777_777, 0)
		want, err := exec.Command(oathtool, "--totp="+map[string]string{HashSHA1: "SHA1", HashSHA256: "SHA256"}[hash],
			"-b", "-d", "6", "-s", strconv.FormatInt(period, 10)+"s", "-N", "@"+strconv.FormatInt(at.Unix(), 10), seed).Output()
		if err != nil {
			t.Fatalf("oathtool: %v", err)
		}
		got, err := Code(strings.ToLower(seed), at, period, hash)
		if err != nil {
			t.Fatal(err)
		}
		if got != strings.TrimSpace(string(want)) {
			t.Errorf("seed #%d (%s, %ds, %d bytes) at %d: got %s, oathtool %s", i, hash, period, len(raw), at.Unix(), got, want)
		}
	}
}

func TestNormalizeBase32(t *testing.T) {
	got, err := NormalizeBase32("jbsw y3dp-ehpk3pxp==")
	if err != nil || got != "JBSWY3DPEHPK3PXP" {
		t.Fatalf("got %q, %v", got, err)
	}
	const secretish = "ABCDEFGH0123ABCD"
	bad := map[string]string{
		"":                       "empty",
		secretish:                "hex_to_base32",
		"JBSWY3DP":               "at least 16",
		strings.Repeat("A", 136): "at most 128",
		"JBSWY3DPEHPK3PXP!":      "character 17",
		"JBSWY3DPEHPK3PXPA":      "whole Base32 bytes",
	}
	for in, want := range bad {
		_, err := NormalizeBase32(in)
		if err == nil || !errors.Is(err, ErrInvalidSeed) || !strings.Contains(err.Error(), want) {
			t.Errorf("NormalizeBase32(%q) = %v, want an invalid-seed error mentioning %q", in, err, want)
		}
		if err != nil && in != "" && strings.Contains(err.Error(), in) {
			t.Errorf("error for %q echoes the seed: %v", in, err)
		}
	}
}

func TestHexToBase32(t *testing.T) {
	got, err := HexToBase32("3132333435363738393031323334353637383930")
	if err != nil || got != base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString([]byte("12345678901234567890")) {
		t.Fatalf("got %q, %v", got, err)
	}
	if _, err := HexToBase32("31 32 33 34 35 36 37 38"); err == nil {
		t.Error("an 8-byte hex seed is too short for Graph yet was accepted")
	}
	if _, err := HexToBase32("xyz"); err == nil || strings.Contains(err.Error(), "xyz") {
		t.Errorf("bad hex: %v", err)
	}
}

func TestCodeRejectsBadSettings(t *testing.T) {
	if _, err := Code(rfcSHA1, time.Now(), 45, HashSHA1); err == nil || !strings.Contains(err.Error(), "30 or 60") {
		t.Errorf("period 45: %v", err)
	}
	if _, err := Code(rfcSHA1, time.Now(), 30, "md5"); err == nil || !strings.Contains(err.Error(), "hmacsha1") {
		t.Errorf("hash md5: %v", err)
	}
}

// TestNormalizeBase32Allocations bounds the work per seed: parse_token_csv normalises every seed of a vendor file,
// and a strings.Replacer built per call once cost 1.4 GB for 200,000 rows.
func TestNormalizeBase32Allocations(t *testing.T) {
	for seed, limit := range map[string]float64{
		"JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP":         0, // canonical: returned as is
		"jbsw y3dp-ehpk 3pxp jbsw y3dp ehpk3pxp==": 2, // one buffer and the string made from it
	} {
		if got := testing.AllocsPerRun(100, func() {
			if _, err := NormalizeBase32(seed); err != nil {
				t.Fatal(err)
			}
		}); got > limit {
			t.Errorf("NormalizeBase32(%q) allocates %.0f times per call, want at most %.0f", seed, got, limit)
		}
	}
}

func BenchmarkNormalizeBase32(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := NormalizeBase32("jbsw y3dp-ehpk 3pxp jbsw y3dp ehpk3pxp=="); err != nil {
			b.Fatal(err)
		}
	}
}

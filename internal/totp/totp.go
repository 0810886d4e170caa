// Package totp normalises and validates hardware OATH seeds and derives RFC 6238 codes from them.
// Errors never contain the seed: callers put them in diagnostics.
package totp

import (
	"encoding/base32"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/pquerna/otp"
	otptotp "github.com/pquerna/otp/totp"
)

// Seed length limits, in Base32 characters. Graph accepts at most 128; 16 characters (80 bits) is the shortest
// seed vendors ship and the floor Token2's own tooling enforces.
const (
	MinBase32Length = 16
	MaxBase32Length = 128
)

// Hash function names as Graph spells them.
const (
	HashSHA1   = "hmacsha1"
	HashSHA256 = "hmacsha256"
)

// ErrInvalidSeed is wrapped by every seed validation error.
var ErrInvalidSeed = errors.New("invalid seed")

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalidSeed}, args...)...)
}

// NormalizeBase32 returns the seed upper-cased with spaces, tabs, hyphens and '=' padding removed, as Graph expects
// it. It runs once per seed of a vendor file, so it makes one pass and allocates only when the seed needs changing.
func NormalizeBase32(seed string) (string, error) {
	s := seed
	if !isCanonicalBase32(seed) {
		b := make([]byte, 0, len(seed))
		for i := 0; i < len(seed); i++ {
			switch c := seed[i]; {
			case c == ' ' || c == '\t' || c == '-':
			case c >= 'a' && c <= 'z':
				b = append(b, c-'a'+'A')
			default:
				b = append(b, c)
			}
		}
		s = strings.TrimRight(string(b), "=")
	}
	if s == "" {
		return "", invalid("the seed is empty")
	}
	n := 0 // characters, not bytes, so the position is right after a non-ASCII character
	for _, r := range s {
		n++
		if (r < 'A' || r > 'Z') && (r < '2' || r > '7') {
			hint := ""
			if r >= '0' && r <= '9' || r >= 'A' && r <= 'F' {
				hint = "; if the vendor file gives the seed in hex, convert it with provider::entraoath::hex_to_base32"
			}
			return "", invalid("character %d is not a Base32 letter (A-Z, 2-7)%s", n, hint)
		}
	}
	if len(s) < MinBase32Length {
		return "", invalid("the seed has %d Base32 characters; at least %d are needed", len(s), MinBase32Length)
	}
	if len(s) > MaxBase32Length {
		return "", invalid("the seed has %d Base32 characters; Graph accepts at most %d", len(s), MaxBase32Length)
	}
	// Unpadded Base32 of whole bytes never has 1, 3 or 6 characters in its last group of 8.
	if r := len(s) % 8; r == 1 || r == 3 || r == 6 {
		return "", invalid("the seed's length (%d) does not make whole Base32 bytes; a character may be missing or extra", len(s))
	}
	return s, nil
}

// isCanonicalBase32 reports whether seed is already upper-case unpadded Base32, so it needs no copy.
func isCanonicalBase32(seed string) bool {
	for i := 0; i < len(seed); i++ {
		if c := seed[i]; (c < 'A' || c > 'Z') && (c < '2' || c > '7') {
			return false
		}
	}
	return true
}

// hexSeparators are the characters vendors put between hex digits. Built once: a Replacer per call allocates
// kilobytes, which a vendor file of 200,000 seeds turns into gigabytes.
var hexSeparators = strings.NewReplacer(" ", "", "\t", "", "-", "", ":", "")

// HexToBase32 converts a hex seed (as some vendors ship them) to unpadded upper-case Base32.
func HexToBase32(hexSeed string) (string, error) {
	h := hexSeparators.Replace(hexSeed)
	h = strings.TrimPrefix(strings.TrimPrefix(h, "0x"), "0X")
	if h == "" {
		return "", invalid("the hex seed is empty")
	}
	raw, err := hex.DecodeString(h)
	if err != nil {
		return "", invalid("the hex seed is not an even number of hex digits (0-9, a-f)")
	}
	return NormalizeBase32(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(raw))
}

// ValidatePeriod checks a TOTP period against what Graph allows.
func ValidatePeriod(seconds int64) error {
	if seconds != 30 && seconds != 60 {
		return fmt.Errorf("the time interval must be 30 or 60 seconds, got %d", seconds)
	}
	return nil
}

func algorithm(hash string) (otp.Algorithm, error) {
	switch hash {
	case HashSHA1:
		return otp.AlgorithmSHA1, nil
	case HashSHA256:
		return otp.AlgorithmSHA256, nil
	}
	return 0, fmt.Errorf("the hash function must be %q or %q, got %q", HashSHA1, HashSHA256, hash)
}

// Code returns the 6-digit RFC 6238 code for seed at time t.
func Code(seed string, t time.Time, periodSeconds int64, hash string) (string, error) {
	s, err := NormalizeBase32(seed)
	if err != nil {
		return "", err
	}
	if err := ValidatePeriod(periodSeconds); err != nil {
		return "", err
	}
	alg, err := algorithm(hash)
	if err != nil {
		return "", err
	}
	code, err := otptotp.GenerateCodeCustom(s, t, otptotp.ValidateOpts{
		Period:    uint(periodSeconds),
		Digits:    otp.DigitsSix,
		Algorithm: alg,
	})
	if err != nil {
		// The library's errors do not carry the seed, but keep ours uniform.
		return "", invalid("the seed could not be decoded")
	}
	return code, nil
}

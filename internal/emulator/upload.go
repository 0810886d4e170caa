package emulator

import (
	"encoding/csv"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/entraoath/terraform-provider-entraoath/internal/seedfile"
)

// uploadColumns are the Entra admin center's CSV columns, in its order; "hash function" may follow them (vendor
// files carry it; the portal's tokens are hmacsha1).
var uploadColumns = []string{"upn", "serial number", "secret key", "time interval", "manufacturer", "model"}

const uploadHashColumn = "hash function"

// Upload adds the tokens of a CSV file in the admin center's format (a header row, then
// `upn,serial number,secret key,time interval,manufacturer,model`), as an admin uploading it in the portal: a row
// with a UPN is assigned to that user, and activated too when activate is set (the admin's Activate button); a row
// without one stays available. Seeds may be lower case, as the portal allows. All rows are added, or none.
// The rows are read by seedfile, whose errors never hold a seed; the header must be the portal's, not one of the
// variants seedfile also reads.
func (s *Server) Upload(file io.Reader, activate bool) ([]Device, error) {
	content, err := io.ReadAll(io.LimitReader(file, seedfile.MaxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("upload: %w", err)
	}
	header, err := csv.NewReader(strings.NewReader(string(content))).Read()
	if err != nil {
		return nil, fmt.Errorf("upload: reading the header row: %w", err)
	}
	for i := range header {
		header[i] = strings.ToLower(strings.TrimSpace(header[i]))
	}
	if !slices.Equal(header, uploadColumns) && !slices.Equal(header, append(slices.Clone(uploadColumns), uploadHashColumn)) {
		return nil, fmt.Errorf("upload: the header row must be %q (optionally followed by %q)",
			strings.Join(uploadColumns, ","), uploadHashColumn)
	}
	tokens, err := seedfile.Parse(string(content), seedfile.Options{Encoding: seedfile.EncodingBase32})
	if err != nil {
		return nil, fmt.Errorf("upload: %w", err)
	}
	devs := make([]Device, len(tokens))
	assignTo := make([]string, len(tokens))
	for i, t := range tokens {
		devs[i] = Device{
			ID:                    newGUID(),
			SerialNumber:          t.SerialNumber,
			SecretKey:             t.SecretKey,
			TimeIntervalInSeconds: int(t.TimeInterval),
			HashFunction:          t.HashFunction,
			Manufacturer:          t.Manufacturer,
			Model:                 t.Model,
			Status:                StatusAvailable,
		}
		if err := validateDevice(devs[i]); err != nil {
			return nil, fmt.Errorf("upload: serial number %q: %w", t.SerialNumber, err)
		}
		assignTo[i] = t.UserPrincipalName
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	devs, err = s.createLocked(devs, assignTo)
	if err != nil {
		return nil, fmt.Errorf("upload: %w", err)
	}
	for i := range devs {
		if activate && devs[i].AssignedToID != "" {
			devs[i].markActivated()
			s.putLocked(devs[i].ID, &devs[i])
		}
	}
	return devs, nil
}

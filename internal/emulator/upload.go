package emulator

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// uploadColumns are the Entra admin center's CSV columns, in its order; "hash function" may follow them (vendor
// files carry it; the portal's tokens are hmacsha1).
var uploadColumns = []string{"upn", "serial number", "secret key", "time interval", "manufacturer", "model"}

const uploadHashColumn = "hash function"

// Upload adds the tokens of a CSV file in the admin center's format (a header row, then
// `upn,serial number,secret key,time interval,manufacturer,model`), as an admin uploading it in the portal: a row
// with a UPN is assigned to that user, and activated too when activate is set (the admin's Activate button); a row
// without one stays available. Seeds may be lower case, as the portal allows. All rows are added, or none.
func (s *Server) Upload(file io.Reader, activate bool) ([]Device, error) {
	r := csv.NewReader(file)
	r.TrimLeadingSpace = true
	header, err := r.Read()
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
	var devs []Device
	var assignTo []string
	for line := 2; ; line++ {
		row, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("upload: %w", err)
		}
		d, err := uploadedDevice(row)
		if err != nil {
			return nil, fmt.Errorf("upload: line %d: %w", line, err)
		}
		devs = append(devs, d)
		assignTo = append(assignTo, strings.TrimSpace(row[0]))
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

func uploadedDevice(row []string) (Device, error) {
	d := Device{
		ID:           newGUID(),
		SerialNumber: strings.TrimSpace(row[1]),
		SecretKey:    strings.ToUpper(strings.TrimSpace(row[2])),
		Manufacturer: strings.TrimSpace(row[4]),
		Model:        strings.TrimSpace(row[5]),
		HashFunction: HashSHA1,
		Status:       StatusAvailable,
	}
	interval, err := strconv.Atoi(strings.TrimSpace(row[3]))
	if err != nil {
		return d, errors.New("the time interval must be 30 or 60")
	}
	d.TimeIntervalInSeconds = interval
	if len(row) > len(uploadColumns) {
		d.HashFunction = strings.ToLower(strings.TrimSpace(row[len(uploadColumns)]))
	}
	return d, validateDevice(d)
}

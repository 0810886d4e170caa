package graph

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/microsoft/kiota-abstractions-go/serialization"
)

// The beta hardware OATH types are not in msgraph-sdk-go, so the public structs of api.go implement kiota's
// Parsable themselves. Readers tolerate Graph's quirks: unknown properties and enum values pass through, numbers
// may arrive as strings. Writers send only what the call needs.

type fields = map[string]func(serialization.ParseNode) error

// parsable is satisfied by *T for every model below.
type parsable[T any] interface {
	*T
	serialization.Parsable
}

func newParsable[T any, P parsable[T]](serialization.ParseNode) (serialization.Parsable, error) {
	return P(new(T)), nil
}

// errReadOnly is the Serialize of types Graph only ever sends to us.
var errReadOnly = errors.New("graph: read-only model")

const policyODataType = "#microsoft.graph.hardwareOathAuthenticationMethodConfiguration"

func (d *Device) GetFieldDeserializers() fields {
	return fields{
		"id":                    readString(&d.ID),
		"displayName":           readString(&d.DisplayName),
		"serialNumber":          readString(&d.SerialNumber),
		"manufacturer":          readString(&d.Manufacturer),
		"model":                 readString(&d.Model),
		"timeIntervalInSeconds": readInt32(&d.TimeIntervalInSeconds),
		"hashFunction":          readString(&d.HashFunction),
		"status":                readString(&d.Status),
		"assignedTo":            readObject(&d.AssignedTo),
		"lastUsedDateTime":      readTime(&d.LastUsedDateTime),
	}
}

// Serialize writes the create body. The secret leaves the process only here.
func (d *Device) Serialize(w serialization.SerializationWriter) error {
	return errors.Join(
		w.WriteStringValue("displayName", nonEmpty(d.DisplayName)),
		w.WriteStringValue("serialNumber", &d.SerialNumber),
		w.WriteStringValue("manufacturer", &d.Manufacturer),
		w.WriteStringValue("model", &d.Model),
		w.WriteStringValue("secretKey", nonEmpty(d.SecretKey)),
		w.WriteInt32Value("timeIntervalInSeconds", &d.TimeIntervalInSeconds),
		w.WriteStringValue("hashFunction", nonEmpty(d.HashFunction)),
	)
}

// deviceCreate is a Device plus the user to assign it to in the same request.
type deviceCreate struct {
	*Device
	assignTo *Identity
}

func (c deviceCreate) Serialize(w serialization.SerializationWriter) error {
	if err := c.Device.Serialize(w); err != nil {
		return err
	}
	if c.assignTo == nil {
		return nil
	}
	return w.WriteObjectValue("assignTo", c.assignTo)
}

func (u *DeviceUpdate) GetFieldDeserializers() fields { return nil }

// Serialize writes only the fields that are set.
func (u *DeviceUpdate) Serialize(w serialization.SerializationWriter) error {
	return errors.Join(
		w.WriteStringValue("displayName", u.DisplayName),
		w.WriteStringValue("manufacturer", u.Manufacturer),
		w.WriteStringValue("model", u.Model),
		w.WriteInt32Value("timeIntervalInSeconds", u.TimeIntervalInSeconds),
		w.WriteStringValue("hashFunction", u.HashFunction),
	)
}

func (i *Identity) GetFieldDeserializers() fields {
	return fields{"id": readString(&i.ID), "displayName": readString(&i.DisplayName)}
}

// Serialize writes a reference ({"id": …}), as in assignTo and {"device": {"id": …}}.
func (i *Identity) Serialize(w serialization.SerializationWriter) error {
	return w.WriteStringValue("id", &i.ID)
}

func (u *User) GetFieldDeserializers() fields {
	return fields{
		"id":                readString(&u.ID),
		"userPrincipalName": readString(&u.UserPrincipalName),
		"displayName":       readString(&u.DisplayName),
		"userType":          readString(&u.UserType),
		"accountEnabled": func(n serialization.ParseNode) error {
			v, err := n.GetBoolValue()
			u.AccountDisabled = v != nil && !*v // absent means enabled
			return err
		},
	}
}

func (u *User) Serialize(serialization.SerializationWriter) error { return errReadOnly }

func (m *Method) GetFieldDeserializers() fields {
	return fields{
		"id":               readString(&m.ID),
		"createdDateTime":  readTime(&m.CreatedDateTime),
		"lastUsedDateTime": readTime(&m.LastUsedDateTime),
		"device":           readObject(&m.Device),
	}
}

func (m *Method) Serialize(serialization.SerializationWriter) error { return errReadOnly }

// methodAction is the body of assign ({device}), activate ({verificationCode, displayName}) and
// assignAndActivate (all three); empty parts are left out.
type methodAction struct {
	deviceID, code, displayName string
}

func (a *methodAction) GetFieldDeserializers() fields { return nil }

func (a *methodAction) Serialize(w serialization.SerializationWriter) error {
	var err error
	if a.deviceID != "" {
		err = w.WriteObjectValue("device", &Identity{ID: a.deviceID})
	}
	return errors.Join(err,
		w.WriteStringValue("verificationCode", nonEmpty(a.code)),
		w.WriteStringValue("displayName", nonEmpty(a.displayName)),
	)
}

func (p *Policy) GetFieldDeserializers() fields {
	return fields{
		"id":             readString(&p.ID),
		"state":          readString(&p.State),
		"includeTargets": readList(&p.IncludeTargets),
		"excludeTargets": readList(&p.ExcludeTargets),
	}
}

// Serialize writes the whole configuration; Graph wants @odata.type on this PATCH.
func (p *Policy) Serialize(w serialization.SerializationWriter) error {
	odataType := policyODataType
	return errors.Join(
		w.WriteStringValue("@odata.type", &odataType),
		w.WriteStringValue("state", nonEmpty(p.State)),
		w.WriteCollectionOfObjectValues("includeTargets", parsables(p.IncludeTargets)),
		w.WriteCollectionOfObjectValues("excludeTargets", parsables(p.ExcludeTargets)),
	)
}

func (t *PolicyTarget) GetFieldDeserializers() fields {
	return fields{
		"id":                     readString(&t.ID),
		"targetType":             readString(&t.TargetType),
		"isRegistrationRequired": readBool(&t.IsRegistrationRequired),
	}
}

// Serialize leaves isRegistrationRequired out when false: excludeTarget has no such property.
func (t *PolicyTarget) Serialize(w serialization.SerializationWriter) error {
	var required *bool
	if t.IsRegistrationRequired {
		required = &t.IsRegistrationRequired
	}
	return errors.Join(
		w.WriteStringValue("id", &t.ID),
		w.WriteStringValue("targetType", nonEmpty(t.TargetType)),
		w.WriteBoolValue("isRegistrationRequired", required),
	)
}

// page is one page of a collection response.
type page[T any, P parsable[T]] struct {
	items    []T
	nextLink string
}

func (p *page[T, P]) GetFieldDeserializers() fields {
	return fields{
		"value":           readList[T, P](&p.items),
		"@odata.nextLink": readString(&p.nextLink),
	}
}

func (p *page[T, P]) Serialize(serialization.SerializationWriter) error { return errReadOnly }

func readString(dst *string) func(serialization.ParseNode) error {
	return func(n serialization.ParseNode) error {
		v, err := n.GetStringValue()
		*dst = deref(v)
		return err
	}
}

func readBool(dst *bool) func(serialization.ParseNode) error {
	return func(n serialization.ParseNode) error {
		v, err := n.GetBoolValue()
		*dst = v != nil && *v
		return err
	}
}

// readInt32 accepts a JSON number or a numeric string: Graph's own examples send timeIntervalInSeconds as "30".
func readInt32(dst *int32) func(serialization.ParseNode) error {
	return func(n serialization.ParseNode) error {
		raw, err := n.GetRawValue()
		if err != nil {
			return err
		}
		switch v := raw.(type) {
		case nil:
			*dst = 0
		case *int64:
			*dst = int32(*v)
		case *float64:
			*dst = int32(*v)
		case *string:
			i, err := strconv.ParseInt(strings.TrimSpace(*v), 10, 32)
			if err != nil {
				return fmt.Errorf("not an integer: %q", *v)
			}
			*dst = int32(i)
		default:
			return fmt.Errorf("not an integer: %T", raw)
		}
		return nil
	}
}

func readTime(dst **time.Time) func(serialization.ParseNode) error {
	return func(n serialization.ParseNode) error {
		v, err := n.GetTimeValue()
		*dst = v
		return err
	}
}

func readObject[T any, P parsable[T]](dst **T) func(serialization.ParseNode) error {
	return func(n serialization.ParseNode) error {
		v, err := n.GetObjectValue(newParsable[T, P])
		if p, ok := v.(P); ok {
			*dst = (*T)(p)
		}
		return err
	}
}

func readList[T any, P parsable[T]](dst *[]T) func(serialization.ParseNode) error {
	return func(n serialization.ParseNode) error {
		vs, err := n.GetCollectionOfObjectValues(newParsable[T, P])
		if err != nil {
			return err
		}
		*dst = make([]T, 0, len(vs))
		for _, v := range vs {
			if p, ok := v.(P); ok {
				*dst = append(*dst, *(*T)(p))
			}
		}
		return nil
	}
}

// parsables converts for kiota's collection writer; the result is never nil, so an empty list is sent as [].
func parsables[T any, P parsable[T]](items []T) []serialization.Parsable {
	out := make([]serialization.Parsable, len(items))
	for i := range items {
		out[i] = P(&items[i])
	}
	return out
}

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

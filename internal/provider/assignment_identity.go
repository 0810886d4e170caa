package provider

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/entraoath/terraform-provider-entraoath/internal/graph"
)

// An assignment names its user by user_id or user_principal_name and its token by token_id or serial_number:
// exactly one of each pair is configured, and `id` (`<user object id>/<token id>`) always holds both object ids.
// After a create, the state records all four. After an import, it records only the forms the import id used, so
// that `terraform plan -generate-config-out` (which writes every optional attribute of the state) writes exactly
// one of each pair, and the generated configuration validates and plans no change.

var _ planmodifier.String = keepUnsetIdentity{}

const keepUnsetIdentityDescription = "When the configuration does not set this attribute, the state's value is kept, " +
	"null included (after an import that named the user or token the other way)."

// keepUnsetIdentity plans the state's value for an identity attribute the configuration leaves to the provider,
// where UseStateForUnknown would leave an imported null unknown and make every later update show it changing.
type keepUnsetIdentity struct{}

func (keepUnsetIdentity) Description(context.Context) string { return keepUnsetIdentityDescription }
func (keepUnsetIdentity) MarkdownDescription(context.Context) string {
	return keepUnsetIdentityDescription
}

func (keepUnsetIdentity) PlanModifyString(_ context.Context, req planmodifier.StringRequest, resp *planmodifier.StringResponse) {
	if req.ConfigValue.IsNull() && !req.State.Raw.IsNull() {
		resp.PlanValue = req.StateValue
	}
}

// replaceIdentity replaces the assignment when an identity attribute changes, but not when the state holds no
// value for it yet (an import that used the other form): ModifyPlan checks that such a value names the same user or
// token (identityFilled).
func replaceIdentity() planmodifier.String {
	return stringplanmodifier.RequiresReplaceIf(func(_ context.Context, req planmodifier.StringRequest, resp *stringplanmodifier.RequiresReplaceIfFuncResponse) {
		resp.RequiresReplace = !req.StateValue.IsNull()
	}, replaceIdentityDescription, replaceIdentityDescription)
}

const replaceIdentityDescription = "Changing the value replaces the assignment, unless the state has none yet (after an " +
	"import that used the other attribute): then the value must name the same user or token."

// splitAssignmentID splits `<user object id>/<token id>`.
func splitAssignmentID(id string) (userID, tokenID string) {
	userID, tokenID, _ = strings.Cut(id, "/")
	return userID, tokenID
}

// ids are the user's and the token's object ids, from `id`, which always holds both.
func (m *hardwareTokenAssignmentModel) ids() (userID, tokenID string) {
	return splitAssignmentID(m.ID.ValueString())
}

// tokenBySerial finds the one token with serial number serial, first in the command's shared listing, then (for a
// token uploaded since) in Graph; with WithFreshReads, in Graph alone. Problems are reported against attr, or against the import id when it is empty.
func tokenBySerial(ctx context.Context, client graph.API, diags *diag.Diagnostics, summary string, attr path.Path, serial string) string {
	devices, err := client.DevicesBySerial(ctx, serial)
	if err == nil && len(devices) == 0 && !graph.ReadsFresh(ctx) {
		devices, err = client.ListDevices(graph.WithFreshReads(ctx), graph.DeviceFilter{SerialNumber: serial})
	}
	if err != nil {
		addGraphError(diags, summary, fmt.Sprintf("find the hardware token with serial number %q in the tenant inventory", serial), permInventoryRead, err)
		return ""
	}
	// Graph's filter may ignore case; the state keeps the configured spelling, so only an exact match counts.
	devices = slices.DeleteFunc(devices, func(d graph.Device) bool { return d.SerialNumber != serial })
	where, fix := attr.String(), "Set token_id to the one you mean instead of serial_number"
	report := func(detail string) { diags.AddAttributeError(attr, summary, detail) }
	if attr.Equal(path.Empty()) {
		where, fix = "the import id", "Import the one you mean by its object id"
		report = func(detail string) { diags.AddError(summary, detail) }
	}
	switch len(devices) {
	case 0:
		report(fmt.Sprintf("No hardware token with serial number %q is in the tenant inventory. Check %s: it takes the serial "+
			"number exactly as the inventory shows it (upload the token first, or give the token's object id).", serial, where))
		return ""
	case 1:
		return devices[0].ID
	}
	ids := make([]string, len(devices))
	for i, d := range devices {
		ids[i] = d.ID
	}
	slices.Sort(ids)
	report(fmt.Sprintf("%d hardware tokens have serial number %q: %s. %s.", len(devices), serial, strings.Join(ids, ", "), fix))
	return ""
}

// identityFilled checks a value configured for an identity attribute the state has no value for (an import that used
// the other form, then a configuration that uses this one): it must name the assignment's user or token, or the
// plan replaces the assignment. Attributes the state holds cost nothing; a user principal name or serial number to
// check costs one (shared) read.
func (r *hardwareTokenAssignmentResource) identityFilled(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	var id types.String
	resp.Diagnostics.Append(req.State.GetAttribute(ctx, path.Root("id"), &id)...)
	userID, tokenID := splitAssignmentID(id.ValueString())
	for _, attr := range []string{"user_id", "user_principal_name", "token_id", "serial_number"} {
		var configured, recorded types.String
		resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root(attr), &configured)...)
		resp.Diagnostics.Append(req.State.GetAttribute(ctx, path.Root(attr), &recorded)...)
		if resp.Diagnostics.HasError() || configured.IsNull() || configured.IsUnknown() || !recorded.IsNull() {
			continue
		}
		value, same := configured.ValueString(), false
		switch attr {
		case "user_id":
			same = strings.EqualFold(value, userID)
		case "token_id":
			same = strings.EqualFold(value, tokenID)
		case "user_principal_name":
			user, err := r.client.GetUser(ctx, value)
			if err != nil && !graph.IsNotFound(err) {
				addGraphError(&resp.Diagnostics, "Unable to Plan Hardware Token Assignment", fmt.Sprintf("read user %s", value), permUserRead, err)
				return
			}
			same = err == nil && strings.EqualFold(user.ID, userID)
		case "serial_number":
			device, err := r.client.GetDevice(ctx, tokenID)
			if err != nil && !graph.IsNotFound(err) {
				addGraphError(&resp.Diagnostics, "Unable to Plan Hardware Token Assignment", fmt.Sprintf("read hardware OATH token %s", tokenID), permInventoryRead, err)
				return
			}
			same = err == nil && device.SerialNumber == value
		}
		if !same {
			resp.RequiresReplace = append(resp.RequiresReplace, path.Root(attr))
		}
	}
}

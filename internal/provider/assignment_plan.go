package provider

import (
	"context"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/entraoath/terraform-provider-entraoath/internal/graph"
	"github.com/entraoath/terraform-provider-entraoath/internal/lifecycle"
)

var _ resource.ConfigValidator = activationSettingsValidator{}

// assignmentPlan is what the assignment's ModifyPlan reads: a few attributes, not whole models (see ModifyPlan).
type assignmentPlan struct {
	creating             bool
	activate, deactivate types.Bool
	planned, current     types.String // the planned and the prior status
	tokenID, serial      types.String // serial: from the prior state, null when creating
	stateTokenID         types.String // null when creating, or after an import by serial number
	// The user as configured (user_id, or else user_principal_name), and the same attribute in the prior state.
	userAttr                  path.Path
	userRef, stateRef         types.String
	stateUserID, stateUserUPN types.String
}

func (a *assignmentPlan) read(ctx context.Context, req resource.ModifyPlanRequest, diags *diag.Diagnostics) {
	a.creating = req.State.Raw.IsNull()
	diags.Append(req.Plan.GetAttribute(ctx, path.Root("activate"), &a.activate)...)
	diags.Append(req.Plan.GetAttribute(ctx, path.Root("deactivate"), &a.deactivate)...)
	diags.Append(req.Plan.GetAttribute(ctx, path.Root("status"), &a.planned)...)
	diags.Append(req.Plan.GetAttribute(ctx, path.Root("token_id"), &a.tokenID)...)
	a.userAttr = path.Root("user_id")
	diags.Append(req.Config.GetAttribute(ctx, a.userAttr, &a.userRef)...)
	if a.userRef.IsNull() {
		a.userAttr = path.Root("user_principal_name")
		diags.Append(req.Config.GetAttribute(ctx, a.userAttr, &a.userRef)...)
	}
	if a.creating {
		return
	}
	diags.Append(req.State.GetAttribute(ctx, path.Root("status"), &a.current)...)
	diags.Append(req.State.GetAttribute(ctx, path.Root("serial_number"), &a.serial)...)
	diags.Append(req.State.GetAttribute(ctx, a.userAttr, &a.stateRef)...)
	diags.Append(req.State.GetAttribute(ctx, path.Root("user_id"), &a.stateUserID)...)
	diags.Append(req.State.GetAttribute(ctx, path.Root("user_principal_name"), &a.stateUserUPN)...)
	diags.Append(req.State.GetAttribute(ctx, path.Root("token_id"), &a.stateTokenID)...)
	if a.tokenID.IsNull() { // imported by serial number, configured by serial number: the id still names the token
		var id types.String
		diags.Append(req.State.GetAttribute(ctx, path.Root("id"), &id)...)
		_, tokenID := splitAssignmentID(id.ValueString())
		a.tokenID = types.StringValue(tokenID)
	}
}

// imported reports whether the state names the user or the token in one form only, as an import leaves it.
func (a *assignmentPlan) imported() bool {
	return !a.creating && (a.stateUserID.IsNull() || a.stateUserUPN.IsNull() || a.stateTokenID.IsNull() || a.serial.IsNull())
}

// plannedStatus is the status the apply leads to: activate = true activates a token that is not activated, and
// only deactivate = true deactivates one (activate = false never does).
func (a *assignmentPlan) plannedStatus() types.String {
	switch {
	case a.creating:
		return a.planned
	case a.activate.IsUnknown() || a.deactivate.IsUnknown():
		return types.StringUnknown()
	case a.activate.ValueBool() && a.current.ValueString() != graph.StatusActivated:
		return types.StringValue(graph.StatusActivated)
	case a.deactivate.ValueBool() && a.current.ValueString() == graph.StatusActivated:
		return types.StringValue(graph.StatusAssigned)
	}
	return a.planned
}

// activates reports whether the apply will activate the token, and so needs its seed.
func (a *assignmentPlan) activates() bool {
	return a.activate.ValueBool() && (a.creating || a.current.ValueString() != graph.StatusActivated)
}

// planUser resolves a changed user whose value is known, so that a user who cannot hold the token fails the plan
// rather than an apply that would first unassign the token from its holder. An unchanged user costs no request, and
// neither does a new assignment's: its create checks the user before any write, and `terraform apply` would
// otherwise read every new user twice (once in the plan's process, once in the apply's).
// It returns the user's claim on the token, and false when the user is not known yet or was refused.
func (r *hardwareTokenAssignmentResource) planUser(ctx context.Context, diags *diag.Diagnostics, a assignmentPlan) (tokenClaim, bool) {
	if a.userRef.IsUnknown() || a.userRef.IsNull() {
		return tokenClaim{}, false
	}
	ref := a.userRef.ValueString()
	claim := tokenClaim{key: strings.ToLower(ref), label: ref}
	switch {
	case a.creating:
	case ref == a.stateRef.ValueString():
		claim.label = lifecycle.UserText(a.stateUserUPN.ValueString(), a.stateUserID.ValueString())
	case r.client != nil: // nil while the provider's own configuration is not known yet
		user := r.assignableUser(ctx, diags, "Unable to Assign Hardware Token", a.userAttr, ref)
		if user == nil {
			return tokenClaim{}, false
		}
		claim.label = lifecycle.UserText(user.UserPrincipalName, user.ID)
	}
	return claim, true
}

// activationSettingsValidator refuses settings the apply could not carry out: a display name that only an
// activation would send with activate = false, and deactivate = true while activate is true.
type activationSettingsValidator struct{}

func (v activationSettingsValidator) Description(ctx context.Context) string {
	return v.MarkdownDescription(ctx)
}

func (activationSettingsValidator) MarkdownDescription(context.Context) string {
	return "`display_name` needs `activate = true`; `deactivate = true` needs `activate = false`"
}

func (activationSettingsValidator) ValidateResource(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	var activate, deactivate types.Bool
	var displayName types.String
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("activate"), &activate)...)
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("deactivate"), &deactivate)...)
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("display_name"), &displayName)...)
	if resp.Diagnostics.HasError() || activate.IsUnknown() {
		return
	}
	activateFalse := !activate.IsNull() && !activate.ValueBool() // null takes the default, true
	if activateFalse && !displayName.IsNull() && !displayName.IsUnknown() {
		resp.Diagnostics.AddAttributeError(path.Root("display_name"), "Display Name Needs Activation",
			"display_name is set while activate is false. Microsoft Graph takes an assignment's display name only together "+
				"with the activation, so the provider could never apply it. Remove display_name, set activate = true, or set "+
				"the name on the token (entraoath_hardware_token.display_name), which Graph takes while the token is unassigned.")
	}
	if !activateFalse && deactivate.ValueBool() {
		resp.Diagnostics.AddAttributeError(path.Root("deactivate"), "Conflicting Activation Settings",
			"deactivate is true while activate is true (its default). To deactivate the token, also set activate = false; "+
				"to keep it activated, remove deactivate.")
	}
}

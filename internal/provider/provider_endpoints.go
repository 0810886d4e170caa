package provider

import (
	"fmt"
	"net/url"
	"os"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// allowCustomEndpointsEnv must be "true" in the provider's environment for graph_endpoint or authority_host to
// name a host outside the chosen cloud. It is deliberately not an argument: a configuration under review must not
// be able to send the sign-in secrets, a Graph token and the seeds to a host of its choosing.
const allowCustomEndpointsEnv = "ENTRAOATH_ALLOW_CUSTOM_ENDPOINTS"

// protoDumpEnv makes terraform-plugin-go write every protocol message, configurations included, to a directory.
const protoDumpEnv = "TF_LOG_SDK_PROTO_DATA_DIR"

// endpoint is the Graph endpoint or the authority host in use, and where it came from.
type endpoint struct {
	attr, env    string // the provider argument and its environment variable
	source       string // the one of them that set value; "" when value is the cloud's own
	value        string
	cloudDefault string
	url          *url.URL // nil when value does not parse
}

// endpointSetting returns the argument's value, else the environment variable's, else the cloud's default.
func endpointSetting(v types.String, attr, env, cloudDefault string) endpoint {
	e := endpoint{attr: attr, env: env, value: cloudDefault, cloudDefault: cloudDefault}
	if s := configured(v); s != "" {
		e.value, e.source = s, attr
	} else if s := os.Getenv(env); s != "" {
		e.value, e.source = s, env
	}
	e.url, _ = url.Parse(e.value)
	return e
}

// check refuses a URL that is not HTTPS, and a host outside the cloud unless the environment opts in; an opted-in
// override gets a warning, so that it is never silently in force.
func (e endpoint) check(cloud string, diags *diag.Diagnostics) {
	u := e.url
	if u == nil || u.Scheme != "https" || u.Host == "" {
		diags.AddAttributeError(path.Root(e.attr), "Invalid Endpoint URL",
			fmt.Sprintf("%s (or %s) must be an absolute https:// URL; got %q. Graph and Entra ID are only reachable over HTTPS.", e.attr, e.env, e.value))
		return
	}
	own, _ := url.Parse(e.cloudDefault)
	if strings.EqualFold(u.Host, own.Host) {
		return
	}
	if os.Getenv(allowCustomEndpointsEnv) != "true" {
		diags.AddAttributeError(path.Root(e.attr), "Custom Endpoint Not Allowed",
			fmt.Sprintf("%s points to %s, which is not the %s cloud's %s. That host would receive the sign-in secret or "+
				"federated token, a Microsoft Graph token and every token seed, so the provider signs in there only when "+
				"%s=true is set in the environment Terraform runs in (not in the configuration, which a plan of an "+
				"untrusted change could alter). Remove %s to use %s, or set %s=true if you trust %s, for example a "+
				"local Graph emulator.", e.source, u.Host, cloud, own.Host, allowCustomEndpointsEnv, e.source, own.Host,
				allowCustomEndpointsEnv, u.Host))
		return
	}
	diags.AddAttributeWarning(path.Root(e.attr), "Custom Endpoint in Use",
		fmt.Sprintf("%s points to %s instead of the %s cloud's %s (allowed by %s=true). That host receives the sign-in "+
			"secret or federated token, a Microsoft Graph token and every token seed. Unset %s and %s to use %s.",
			e.source, u.Host, cloud, own.Host, allowCustomEndpointsEnv, e.source, allowCustomEndpointsEnv, own.Host))
}

// cloudNames names the national clouds in messages; the global service ("public") is not one.
var cloudNames = map[string]string{
	"usgovernment": "US Government",
	"china":        "China (operated by 21Vianet)",
}

// sovereignCloud is the environment when it names a national cloud, else "".
func sovereignCloud(env string) string {
	if _, ok := cloudNames[env]; ok {
		return env
	}
	return ""
}

// warnEnvironment says, for a national cloud, that Microsoft documents the token APIs for the global service only.
func warnEnvironment(env string, diags *diag.Diagnostics) {
	name, ok := cloudNames[env]
	if !ok {
		return
	}
	detail := fmt.Sprintf("environment is %q, the %s cloud. Microsoft documents the hardware OATH token APIs (the "+
		"tenant's token inventory and users' hardware OATH methods) for the global service only, so "+
		"entraoath_hardware_token, entraoath_hardware_token_assignment and the entraoath_hardware_token and "+
		"entraoath_hardware_tokens data sources may be refused by Graph here. Only the authentication method policy "+
		"(entraoath_hardware_oath_policy) is documented in every cloud.", env, name)
	if env == "usgovernment" {
		detail += " Microsoft's pages disagree for US Government: the Graph API pages list the global service only, " +
			"while an Entra page of October 2024 listed Azure Government as supported for the preview."
	}
	diags.AddAttributeWarning(path.Root("environment"), "Hardware OATH Token APIs Not Documented in This Cloud", detail)
}

// cloudRefusalDetail explains a refusal of a token or user-method call in a national cloud.
func cloudRefusalDetail(cloud string) string {
	return fmt.Sprintf("The provider is configured for the %s cloud (environment = %q), where Microsoft documents "+
		"the hardware OATH token inventory and user-method APIs as unavailable; Graph's refusal may mean the API does "+
		"not exist there. Only the authentication method policy (entraoath_hardware_oath_policy) is documented in "+
		"every cloud.\n\n", cloudNames[cloud], cloud)
}

// warnProtoDump warns that the protocol dump writes configurations, seeds included, to disk.
func warnProtoDump(diags *diag.Diagnostics) {
	dir := os.Getenv(protoDumpEnv)
	if dir == "" {
		return
	}
	diags.AddWarning("Terraform Protocol Messages Written to Disk",
		fmt.Sprintf("%s is set (to %q): every message between Terraform and this provider is written to files in that "+
			"directory, including configurations with token seeds (secret_key and the write-only secret_key_wo) and the "+
			"provider's sign-in secrets. Unset it unless you are debugging the provider, and delete the files when done.",
			protoDumpEnv, dir))
}

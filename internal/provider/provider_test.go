package provider

import (
	"crypto/x509"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"

	"github.com/entraoath/terraform-provider-entraoath/internal/emulator"
)

// testEmulator is the Graph emulator every acceptance test in this package talks to, over HTTPS, through the
// provider's production sign-in (azidentity) and HTTP path. Tests change it between steps to model portal edits.
var testEmulator *emulator.Server

var testAccProtoV6ProviderFactories = map[string]func() (tfprotov6.ProviderServer, error){
	"entraoath": providerserver.NewProtocol6WithError(New("test")()),
}

func TestMain(m *testing.M) {
	os.Exit(runWithEmulator(m))
}

// runWithEmulator starts the in-process Graph emulator whether TF_ACC is set or not: without it the acceptance tests
// skip themselves, and the helpers that prepare them still find a tenant.
func runWithEmulator(m *testing.M) int {
	cert, err := newTestClientCertificate()
	if err != nil {
		fmt.Fprintln(os.Stderr, "generating the test client certificate:", err)
		return 1
	}
	testClientCertificate = cert
	seed, err := variantSeed()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	variants := emulator.VariantsFromSeed(seed)
	// Printed so that a failure can be reproduced with the same answers to what Microsoft does not document.
	fmt.Fprintf(os.Stderr, "Graph emulator variants: %s=%d (%+v)\n", variantSeedEnv, seed, variants)
	srv, err := emulator.Start(emulator.Options{ClientCertificates: []*x509.Certificate{cert.cert}, Variants: variants})
	if err != nil {
		fmt.Fprintln(os.Stderr, "starting the Graph emulator:", err)
		return 1
	}
	defer srv.Close()
	testEmulator = srv
	opts := srv.Options()
	// Set before the first TLS handshake: Go loads the system pool once, and this process is the only one that
	// talks to the emulator (the provider runs in-process).
	for k, v := range map[string]string{
		"SSL_CERT_FILE":            srv.CAFile(),
		"ENTRAOATH_GRAPH_ENDPOINT": srv.URL(),
		"ENTRAOATH_AUTHORITY_HOST": srv.URL() + "/",
		allowCustomEndpointsEnv:    "true", // the emulator is a host outside every cloud
		"ARM_TENANT_ID":            opts.TenantID,
		"ARM_CLIENT_ID":            opts.ClientID,
		"ARM_CLIENT_SECRET":        opts.ClientSecret,
	} {
		os.Setenv(k, v)
	}
	return m.Run()
}

// variantSeedEnv picks the emulator's answers to undocumented cases (emulator.VariantsFromSeed); without it, a
// random seed is drawn and printed.
const variantSeedEnv = "ENTRAOATH_EMULATOR_VARIANT_SEED"

func variantSeed() (uint64, error) {
	v := os.Getenv(variantSeedEnv)
	if v == "" {
		return rand.Uint64(), nil
	}
	seed, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%s=%q is not an unsigned integer", variantSeedEnv, v)
	}
	return seed, nil
}

// testAccPreCheck fails fast when the harness is not set up, instead of letting Terraform report a confusing error.
func testAccPreCheck(t *testing.T) {
	t.Helper()
	if testEmulator == nil {
		t.Fatal("the Graph emulator is not running; acceptance tests need TF_ACC=1 (run `make test`)")
	}
}

// testAccRequireEmulator is resource.Test's gate for tests that use the emulator before (or without) it: they run
// only with TF_ACC set (`make test` sets it).
func testAccRequireEmulator(t *testing.T) {
	t.Helper()
	if testEmulator == nil {
		t.Skip("acceptance tests need TF_ACC=1")
	}
}

// testAccUser adds a fresh member user to the emulator, so parallel tests never share one.
func testAccUser(t *testing.T) emulator.User {
	t.Helper()
	testAccRequireEmulator(t)
	n := testAccName(t)
	return testEmulator.AddUser(emulator.User{UserPrincipalName: n + "@contoso.example", DisplayName: n})
}

// testAccName is a unique, readable name for serial numbers and users of one test.
func testAccName(t *testing.T) string {
	t.Helper()
	return fmt.Sprintf("acc%s", randomBase32(8))
}

// testAccSeed is a random 160-bit Base32 seed, as vendors ship them.
func testAccSeed() string { return randomBase32(32) }

func randomBase32(n int) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[rand.IntN(len(alphabet))]
	}
	return string(b)
}

// testAccEmulatorCredential signs in to the emulator with its client secret, as the provider does.
func testAccEmulatorCredential(t *testing.T) *azidentity.ClientSecretCredential {
	t.Helper()
	opts := testEmulator.Options()
	cred, err := azidentity.NewClientSecretCredential(opts.TenantID, opts.ClientID, opts.ClientSecret,
		&azidentity.ClientSecretCredentialOptions{
			ClientOptions:            azcore.ClientOptions{Cloud: cloud.Configuration{ActiveDirectoryAuthorityHost: testEmulator.URL() + "/"}},
			DisableInstanceDiscovery: true,
		})
	must(t, err)
	return cred
}

package main

import (
	"flag"
	"log"
	"os"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6/tf6server"

	"github.com/entraoath/terraform-provider-entraoath/internal/memtune"
	"github.com/entraoath/terraform-provider-entraoath/internal/provider"
)

// version is set by goreleaser at build time.
var version = "dev"

func main() {
	var debugMode bool
	flag.BoolVar(&debugMode, "debug", false, "set to true to run the provider with support for debuggers like delve")
	flag.Parse()
	quietSDKLogs()
	memtune.TuneGC()

	var opts []tf6server.ServeOpt
	if debugMode {
		opts = append(opts, tf6server.WithManagedDebug())
	}
	// providerserver.Serve, with the framework's server wrapped (see memtune.ReleasingServer).
	err := tf6server.Serve("registry.terraform.io/entraoath/entraoath", func() tfprotov6.ProviderServer {
		return memtune.ReleasingServer(providerserver.NewProtocol6(provider.New(version)())())
	}, opts...)
	if err != nil {
		log.Fatal(err.Error())
	}
}

// quietSDKLogs switches the plugin SDK's own logging off when Terraform is not collecting logs: the SDK logs every
// call at TRACE by default, and Terraform parses each line before discarding it, which costs both processes CPU.
func quietSDKLogs() {
	if os.Getenv("TF_LOG") != "" || os.Getenv("TF_LOG_PROVIDER") != "" {
		return
	}
	for _, v := range []string{"TF_LOG_SDK", "TF_LOG_SDK_PROTO", "TF_LOG_SDK_FRAMEWORK", "TF_LOG_PROVIDER"} {
		if os.Getenv(v) == "" {
			_ = os.Setenv(v, "off")
		}
	}
}

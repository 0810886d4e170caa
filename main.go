package main

import (
	"flag"
	"log"
	"os"
	"runtime/debug"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6/tf6server"

	"github.com/entraoath/terraform-provider-entraoath/internal/provider"
)

// version is set by goreleaser at build time.
var version = "dev"

func main() {
	var debugMode bool
	flag.BoolVar(&debugMode, "debug", false, "set to true to run the provider with support for debuggers like delve")
	flag.Parse()
	quietSDKLogs()
	tuneGC()

	var opts []tf6server.ServeOpt
	if debugMode {
		opts = append(opts, tf6server.WithManagedDebug())
	}
	// providerserver.Serve, with the framework's server wrapped (see releasingServer).
	err := tf6server.Serve("registry.terraform.io/entraoath/entraoath", func() tfprotov6.ProviderServer {
		return releasingServer{providerserver.NewProtocol6(provider.New(version)())()}
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

// tuneGC trades memory for CPU. With requests released (releasingServer) the live heap stays near 10 MB even at
// thousands of resources, while every call allocates afresh: collecting at 11× the live heap rather than 2× spares
// most of the CPU a plan spent on garbage collection (peak RSS about 105 MB at 1,000 tokens). The memory limit only
// bounds a larger live heap, where it collects sooner; it is far above the live heap, because a limit near it would
// make the collector run without pause: an entraoath_hardware_token_fleet of 10,000 tokens holds some 250 MB live
// during a plan, and a 256 MiB limit had the collector take 97 s of CPU in that plan. GOGC and GOMEMLIMIT in the
// environment still win.
func tuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(1000)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(448 << 20)
	}
}

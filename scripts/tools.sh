#!/usr/bin/env bash
# Installs the pinned development tools (docs, lint, changelog, release) into .tools/bin, then prints the absolute path of each one asked for, one per line, in the order asked.
# Usage: scripts/tools.sh [tfplugindocs|golangci-lint|gotestsum|changie|goreleaser ...]   (no argument: all five)
# The Go tools are built with `go install`; changie comes from its npm package, which ships prebuilt binaries,
# because the Go module proxy refuses its source archive. A tool already at its pinned version is left alone,
# so repeated runs are quick and work offline. goreleaser is a large build (several minutes, once):
# only `make release-check` asks for it.
set -euo pipefail
cd "$(dirname "$0")/.."
tools_bin="$PWD/.tools/bin"

# name -> "main package path@version" (changie: "npm package@version"). Bump a version here and the next
# run reinstalls that tool.
declare -A pinned=(
  [tfplugindocs]="github.com/hashicorp/terraform-plugin-docs/cmd/tfplugindocs@v0.25.0"
  [golangci-lint]="github.com/golangci/golangci-lint/v2/cmd/golangci-lint@v2.15.0"
  [gotestsum]="gotest.tools/gotestsum@v1.13.0"
  [changie]="changie@1.26.0"
  [goreleaser]="github.com/goreleaser/goreleaser/v2@v2.15.1"
)

# installed_version BINARY -> the main module version recorded in the binary by the Go toolchain.
installed_version() {
  go version -m "$1" 2>/dev/null | awk '$1 == "mod" { print $3; exit }'
}

[ $# -gt 0 ] || set -- tfplugindocs golangci-lint gotestsum changie goreleaser
for name in "$@"; do
  spec=${pinned[$name]:-}
  if [ -z "$spec" ]; then
    echo "scripts/tools.sh: unknown tool '$name' (known: ${!pinned[*]})" >&2
    exit 2
  fi
  want=${spec##*@}
  bin="$tools_bin/$name"
  if [ "$name" = changie ]; then
    if [ "$("$bin" --version 2>/dev/null)" != "changie version v$want" ]; then
      echo "installing $name $want into $tools_bin" >&2
      npm install --prefix "$PWD/.tools/npm" --no-save --no-package-lock --no-audit --no-fund "$spec" >&2
      mkdir -p "$tools_bin"
      ln -sfn ../npm/node_modules/.bin/changie "$bin"
    fi
  elif [ ! -x "$bin" ] || [ "$(installed_version "$bin")" != "$want" ]; then
    echo "installing $name $want into $tools_bin" >&2
    GOBIN="$tools_bin" go install "$spec" >&2
  fi
  echo "$bin"
done

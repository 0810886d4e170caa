#!/usr/bin/env bash
# Installs what `make test`, `make demo` and `make bench` need on a fresh machine, then prints the absolute path
# of a Terraform CLI >= 1.8: the one on PATH when new enough, else one built from source into .tools/bin.
# Nothing is downloaded at test time; everything comes from the Go module proxy and Debian's packages here.
set -euo pipefail
cd "$(dirname "$0")/.."
tools_bin="$PWD/.tools/bin"

# oathtool: an independent TOTP implementation the tests compare with; curl and jq: the demo's emulator controls.
missing=()
for pkg in oathtool curl jq; do
  command -v "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if ((${#missing[@]})); then
  echo "installing ${missing[*]} from Debian's packages" >&2
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"; } >&2
fi

version_ok() { # terraform binary -> true when >= 1.8
  local v
  v=$("$1" version -json 2>/dev/null | sed -n 's/.*"terraform_version": *"\([0-9.]*\)".*/\1/p')
  [ -n "$v" ] && [ "$(printf '%s\n1.8.0\n' "$v" | sort -V | head -n1)" = "1.8.0" ]
}

for tf in "$(command -v terraform 2>/dev/null)" "$tools_bin/terraform"; do
  if [ -x "$tf" ] && version_ok "$tf"; then
    echo "$tf"
    exit 0
  fi
done
echo "building Terraform v1.8.5 from source into $tools_bin (about 4 minutes, once)" >&2
GOBIN="$tools_bin" go install github.com/hashicorp/terraform@v1.8.5 >&2
echo "$tools_bin/terraform"

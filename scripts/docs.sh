#!/usr/bin/env bash
# Renders the Terraform Registry documentation in docs/ from the provider's schema (MarkdownDescription),
# templates/ and examples/ with tfplugindocs, without network access.
# Usage: scripts/docs.sh generate   rewrite docs/
#        scripts/docs.sh check      fail when examples/ is not formatted or docs/ differs from a fresh rendering,
#                                   then run tfplugindocs validate
set -euo pipefail
cd "$(dirname "$0")/.."

tfplugindocs=$(scripts/tools.sh tfplugindocs)
terraform=${TF_ACC_TERRAFORM_PATH:-$(scripts/ensure-tools.sh)}
# tfplugindocs builds the provider, then asks the first `terraform` on PATH for its schema; it downloads a
# Terraform only when there is none on PATH (or when given --tf-version, which is never passed here).
PATH="$(dirname "$terraform"):$PATH"
# An empty CLI configuration: rendering docs needs no credentials or mirrors, and Terraform warns when ~/.terraformrc is absent.
export PATH CHECKPOINT_DISABLE=1 TF_CLI_CONFIG_FILE=/dev/null
names=(--provider-name entraoath)
rendered=(--rendered-provider-name "Entra ID Hardware OATH")

case "${1:-}" in
generate)
  "$tfplugindocs" generate "${names[@]}" "${rendered[@]}"
  ;;
check)
  # The examples are copied into the docs verbatim, so they must be formatted.
  if ! "$terraform" fmt -check -recursive examples >/dev/null; then
    echo "examples/ is not formatted: run '$terraform fmt -recursive examples'." >&2
    exit 1
  fi
  # The rendering goes to a scratch directory (tfplugindocs wants it relative to the provider directory).
  scratch=.tools/docs-check
  rm -rf "$scratch"
  trap 'rm -rf "$scratch"' EXIT
  "$tfplugindocs" generate "${names[@]}" "${rendered[@]}" \
    --rendered-website-dir "$scratch" >/dev/null
  if ! diff -ru docs "$scratch"; then
    echo "docs/ is out of date with the schema, templates/ or examples/: run 'make docs' and commit docs/." >&2
    exit 1
  fi
  # validate logs every file it reads; show its output only when it fails.
  if ! out=$("$tfplugindocs" validate "${names[@]}" 2>&1); then
    grep -v '\[DEBUG\]' <<<"$out" >&2
    exit 1
  fi
  echo "docs/ is up to date and valid."
  ;;
*)
  echo "usage: $0 generate|check" >&2
  exit 2
  ;;
esac

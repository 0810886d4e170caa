#!/usr/bin/env bash
# `make demo`: applies examples/quickstart against a local Graph emulator, prints the tokens, reassigns one out of
# band, shows `terraform plan` detecting it, applies the fix and destroys everything. Nothing leaves this machine:
# Terraform uses the provider built in bin/ (dev_overrides, so no `terraform init`) and the emulator listens on
# 127.0.0.1 only. Exits non-zero as soon as a step does not behave as the story says.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$PWD/bin
work=$PWD/.demo # gitignored; removed on exit

fail() {
  printf 'demo: FAILED: %s\n' "$*" >&2
  exit 1
}
step() { printf '\n==> %s\n' "$*"; }

terraform=$(scripts/ensure-tools.sh)
for tool in jq; do
  command -v "$tool" >/dev/null || fail "the demo needs $tool (e.g. apt-get install $tool)"
done
for b in terraform-provider-entraoath graph-emulator; do
  [ -x "$bin/$b" ] || fail "$bin/$b is missing; run make demo, which builds it"
done

emulator() { "$bin/graph-emulator" "$@"; }
emulator_started=
cleanup() {
  local rc=$?
  [ -z "$emulator_started" ] || emulator stop >/dev/null || true
  rm -rf "$work"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM # through the EXIT trap

rm -rf "$work"
mkdir -p "$work"

step "Starting the Graph emulator with users user1..user5@contoso.example"
# start returns once the emulator serves, having printed the environment lines and written them to the env file.
emulator start -users 5 -env-file "$work/emulator.env" -ca-file "$work/ca.pem" >"$work/emulator.log" 2>&1 ||
  fail "the emulator did not start: $(cat "$work/emulator.log")"
emulator_started=1
# shellcheck source=/dev/null
. "$work/emulator.env" # ENTRAOATH_ALLOW_CUSTOM_ENDPOINTS, ENTRAOATH_GRAPH_ENDPOINT, ENTRAOATH_AUTHORITY_HOST, ARM_*, SSL_CERT_FILE, EMULATOR_URL, EMULATOR_CA_FILE
echo "    listening on $EMULATOR_URL"

# The emulator's verbs play an administrator working in the Entra admin center. holder prints a token's status and
# its holder's UPN.
holder() { emulator tokens | awk -v s="$1" '$1 == s { print $2, $3 }'; }

cat >"$work/terraformrc" <<EOF
provider_installation {
  dev_overrides {
    "registry.terraform.io/entraoath/entraoath" = "$bin"
  }
  direct {}
}
EOF
export TF_CLI_CONFIG_FILE=$work/terraformrc CHECKPOINT_DISABLE=1 TF_IN_AUTOMATION=1
cp -R examples/quickstart "$work/quickstart"

# tf runs a Terraform command in the working copy and returns its exit
# code. Its output goes to $work/tf.log and its errors to $work/tf.err, for show and dump.
tf() { # command args...
  local command=$1 rc=0
  shift
  (cd "$work/quickstart" && "$terraform" "$command" -no-color "$@") \
    >"$work/tf.log" 2>"$work/tf.err" || rc=$?
  return "$rc"
}
show() { grep -E "$1" "$work/tf.log" | sed 's/^/    /' || true; } # the lines worth reading
dump() { cat "$work/tf.log" "$work/tf.err" | sed 's/^/    | /' >&2; } # everything, when a step fails
# plan_exits CODE PATTERN runs terraform plan -detailed-exitcode, fails unless it exits CODE (0: no changes,
# 2: changes) and shows the lines matching PATTERN.
plan_exits() {
  local rc=0
  tf plan -detailed-exitcode -input=false -compact-warnings || rc=$?
  [ "$rc" -eq "$1" ] || { dump; fail "expected exit code $1 from terraform plan -detailed-exitcode, got $rc"; }
  show "$2"
  if [ "$rc" -eq 2 ]; then echo "    exit code 2: changes pending"; else echo "    exit code 0"; fi
}
progress='Creation complete|Destruction complete|Modifications complete|^Plan:|^Apply complete|^Destroy complete'

print_tokens() { # from the quickstart's output, which holds no secrets
  tf output -json tokens || { dump; fail "terraform output failed"; }
  jq -r 'to_entries[] | [.key, (.value.user // "-"), .value.status] | @tsv' "$work/tf.log" >"$work/tokens.tsv"
  printf '    %-10s %-24s %s\n' SERIAL USER STATUS
  while IFS=$'\t' read -r serial user status; do
    printf '    %-10s %-24s %s\n' "$serial" "$user" "$status"
  done <"$work/tokens.tsv"
}

step "terraform apply: vendor file examples/quickstart/tokens.csv -> inventory -> assignments, activated; policy enabled"
tf apply -auto-approve -input=false -compact-warnings || { dump; fail "terraform apply failed"; }
show "$progress"

step "The tokens as Terraform sees them"
print_tokens
awk -F'\t' '$2 != "-" && $3 != "activated" { bad = 1 } END { exit bad }' "$work/tokens.tsv" ||
  fail "not every assigned token is activated"

moved=60212302 from=user2@contoso.example to=user5@contoso.example
step "Out of band, an admin reassigns token $moved from $from to $to"
emulator assign "$moved" "$to" >/dev/null || fail "the emulator could not reassign token $moved"
read -r status upn < <(holder "$moved")
[ "$upn" = "$to" ] || fail "the emulator did not reassign token $moved"
echo "    the emulator now has token $moved with $to, status $status"

step "terraform plan -detailed-exitcode detects the change"
plan_exits 2 '^  # |# forces replacement|^      ~ status +=|^Plan:'

step "terraform apply gives the token back to $from and activates it again"
tf apply -auto-approve -input=false -compact-warnings || { dump; fail "terraform apply failed"; }
show "$progress"
print_tokens
read -r status upn < <(holder "$moved")
[ "$status $upn" = "activated $from" ] || fail "the emulator has token $moved $status for $upn"

step "terraform plan -detailed-exitcode finds nothing to do"
plan_exits 0 '^No changes'

step "terraform destroy: tokens unassigned and deleted; the policy is left enabled, with a warning"
tf destroy -auto-approve -input=false -compact-warnings || { dump; fail "terraform destroy failed"; }
show '^Destroy complete'
[ -z "$(emulator tokens)" ] || fail "the emulator's inventory is not empty after destroy"
echo "    the emulator's inventory is empty"

step "Done in ${SECONDS}s; stopping the emulator and removing .demo/"

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
for tool in curl jq; do
  command -v "$tool" >/dev/null || fail "the demo needs $tool (e.g. apt-get install $tool)"
done
for b in terraform-provider-entraoath graph-emulator; do
  [ -x "$bin/$b" ] || fail "$bin/$b is missing; run make demo, which builds it"
done

emulator_pid=
cleanup() {
  local rc=$?
  if [ -n "$emulator_pid" ]; then
    kill "$emulator_pid" 2>/dev/null || true
    wait "$emulator_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM # through the EXIT trap

rm -rf "$work"
mkdir -p "$work"

step "Starting the Graph emulator with users user1..user5@contoso.example"
"$bin/graph-emulator" -users 5 -env-file "$work/emulator.env" -ca-file "$work/ca.pem" >"$work/emulator.log" 2>&1 &
emulator_pid=$!
# It prints its URL once the env file is written.
for _ in $(seq 100); do
  grep -q '^https://' "$work/emulator.log" && break
  kill -0 "$emulator_pid" 2>/dev/null || fail "the emulator exited: $(cat "$work/emulator.log")"
  sleep 0.1
done
grep -q '^https://' "$work/emulator.log" || fail "the emulator did not start within 10 s"
# shellcheck source=/dev/null
. "$work/emulator.env" # ENTRAOATH_ALLOW_CUSTOM_ENDPOINTS, ENTRAOATH_GRAPH_ENDPOINT, ENTRAOATH_AUTHORITY_HOST, ARM_*, EMULATOR_CA_FILE, EMULATOR_URL
echo "    listening on $EMULATOR_URL"

# The emulator's control surface plays an administrator working in the Entra admin center.
control() { # METHOD PATH [JSON body]
  local args=(-fsS --cacert "$EMULATOR_CA_FILE" -X "$1")
  [ $# -lt 3 ] || args+=(-H 'Content-Type: application/json' -d "$3")
  curl "${args[@]}" "$EMULATOR_URL/_emulator/$2"
}
token() { control GET devices | jq -ec --arg s "$1" '.[] | select(.serialNumber == $s)'; } # serial -> JSON
upn() { control GET users | jq -er --arg id "$1" '.[] | select(.id == $id) | .userPrincipalName'; }

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

# tf runs a Terraform command in the working copy, trusting the emulator's CA only there, and returns its exit
# code. Its output goes to $work/tf.log and its errors to $work/tf.err, for show and dump.
tf() { # command args...
  local command=$1 rc=0
  shift
  (cd "$work/quickstart" && SSL_CERT_FILE=$EMULATOR_CA_FILE "$terraform" "$command" -no-color "$@") \
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
id=$(token "$moved" | jq -r .id) || fail "token $moved is not in the emulator's inventory"
control POST "devices/$id/assign" "{\"user\": \"$to\"}" >/dev/null
read -r status holder < <(token "$moved" | jq -r '"\(.status) \(.assignedToId)"')
[ "$(upn "$holder")" = "$to" ] || fail "the emulator did not reassign token $moved"
echo "    the emulator now has token $moved with $to, status $status"

step "terraform plan -detailed-exitcode detects the change"
plan_exits 2 '^  # |# forces replacement|^      ~ status +=|^Plan:'

step "terraform apply gives the token back to $from and activates it again"
tf apply -auto-approve -input=false -compact-warnings || { dump; fail "terraform apply failed"; }
show "$progress"
print_tokens
read -r status holder < <(token "$moved" | jq -r '"\(.status) \(.assignedToId)"')
[ "$status $(upn "$holder")" = "activated $from" ] || fail "the emulator has token $moved $status for $(upn "$holder")"

step "terraform plan -detailed-exitcode finds nothing to do"
plan_exits 0 '^No changes'

step "terraform destroy: tokens unassigned and deleted; the policy is left enabled, with a warning"
tf destroy -auto-approve -input=false -compact-warnings || { dump; fail "terraform destroy failed"; }
show '^Destroy complete'
[ "$(control GET devices | jq length)" -eq 0 ] || fail "the emulator's inventory is not empty after destroy"
echo "    the emulator's inventory is empty"

step "Done in ${SECONDS}s; stopping the emulator and removing .demo/"

#!/usr/bin/env bash
# `make demo`: applies examples/quickstart against a local Graph emulator, prints the tokens, reassigns one out of
# band, shows `terraform plan` detecting it, applies the fix and destroys everything. Nothing leaves this machine:
# Terraform uses the provider built in bin/ (dev_overrides) and the emulator listens on 127.0.0.1 only.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
bin=$root/bin
work=$root/.demo # gitignored; removed on exit

fail() {
  printf 'demo: FAILED: %s\n' "$*" >&2
  exit 1
}
step() { printf '\n==> %s\n' "$*"; }

terraform=$(scripts/ensure-tools.sh)
for tool in curl jq column; do
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
trap 'exit 130' INT TERM # runs the EXIT trap

rm -rf "$work"
mkdir -p "$work"

# --- the emulator ---------------------------------------------------------------------------------------------
step "Starting the Graph emulator with users user1..user5@contoso.example"
"$bin/graph-emulator" -users 5 -env-file "$work/emulator.env" -ca-file "$work/ca.pem" >"$work/emulator.log" 2>&1 &
emulator_pid=$!
# The emulator prints its URL once the env file is written.
for _ in $(seq 100); do
  grep -q '^https://' "$work/emulator.log" && break
  kill -0 "$emulator_pid" 2>/dev/null || fail "the emulator exited: $(cat "$work/emulator.log")"
  sleep 0.1
done
grep -q '^https://' "$work/emulator.log" || fail "the emulator did not start within 10 s"
# shellcheck disable=SC1091
. "$work/emulator.env" # ENTRAOATH_GRAPH_ENDPOINT, ENTRAOATH_AUTHORITY_HOST, ARM_*, EMULATOR_CA_FILE, EMULATOR_URL
echo "    listening on $EMULATOR_URL"

# The emulator's control surface stands in for an administrator working in the Entra admin center.
control() { # METHOD PATH [JSON body]
  curl -fsS --cacert "$EMULATOR_CA_FILE" -X "$1" ${3:+-H 'Content-Type: application/json' -d "$3"} "$EMULATOR_URL/_emulator/$2"
}
device_id() { control GET devices | jq -er --arg s "$1" '.[] | select(.serialNumber == $s) | .id'; }
user_id() { control GET users | jq -er --arg u "$1" '.[] | select(.userPrincipalName == $u) | .id'; }

# --- Terraform ------------------------------------------------------------------------------------------------
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

# tf runs a Terraform command in the working copy, trusting the emulator's CA, and returns its exit code. Its
# output goes to $work/<log>.log, its errors to $work/<log>.err.
tf() { # log command args...
  local log=$work/$1 command=$2 rc=0
  shift 2
  (cd "$work/quickstart" && SSL_CERT_FILE=$EMULATOR_CA_FILE "$terraform" "$command" -no-color "$@") >"$log.log" 2>"$log.err" || rc=$?
  return "$rc"
}
# show prints the lines of a log worth reading, indented; the dev_overrides warning is expected and left out.
show() { # log ERE
  grep -E "$2" "$work/$1.log" | sed 's/^/    /' || true
}
dump() { # log: everything, for a failed step
  cat "$work/$1.log" "$work/$1.err" | sed 's/^/    | /' >&2
}
print_tokens() {
  tf output output -json tokens || { dump output; fail "terraform output failed"; }
  jq -r '(["SERIAL", "USER", "STATUS"], (to_entries[] | [.key, (.value.user // "-"), .value.status])) | @tsv' \
    "$work/output.log" | column -t | sed 's/^/    /'
}
progress='Creation complete|Destruction complete|Modifications complete|^Plan:|^Apply complete|^Destroy complete'

step "terraform apply: vendor file examples/quickstart/tokens.csv -> inventory -> assignments, activated; policy enabled"
tf apply apply -auto-approve -input=false -compact-warnings || { dump apply; fail "terraform apply failed"; }
show apply "$progress"

step "The tokens as Terraform sees them"
print_tokens
jq -e '[.[] | select(.user != null and .status != "activated")] | length == 0' "$work/output.log" >/dev/null ||
  fail "not every assigned token is activated"

moved_serial=60212302 from=user2@contoso.example to=user5@contoso.example
step "Out of band, an admin reassigns token $moved_serial from $from to $to"
id=$(device_id "$moved_serial") || fail "token $moved_serial is not in the emulator's inventory"
control POST "devices/$id/assign" "{\"user\": \"$to\"}" >/dev/null
holder=$(control GET devices | jq -r --arg id "$id" '.[] | select(.id == $id) | .assignedToId')
[ "$holder" = "$(user_id "$to")" ] || fail "the emulator did not reassign token $moved_serial"
echo "    the emulator now has token $moved_serial assigned to $to, status $(control GET devices | jq -r --arg id "$id" '.[] | select(.id == $id) | .status')"

step "terraform plan -detailed-exitcode detects the change"
rc=0
tf plan plan -detailed-exitcode -input=false -compact-warnings || rc=$?
[ "$rc" -eq 2 ] || { dump plan; fail "expected exit code 2 (changes) from terraform plan, got $rc"; }
show plan '^  # |# forces replacement|^      ~ status +=|^Plan:'
echo "    exit code $rc: changes pending"

step "terraform apply puts the token back with $from and activates it again"
tf apply-fix apply -auto-approve -input=false -compact-warnings || { dump apply-fix; fail "terraform apply failed"; }
show apply-fix "$progress"
print_tokens
[ "$(control GET devices | jq -r --arg id "$id" '.[] | select(.id == $id) | "\(.assignedToId) \(.status)"')" = "$(user_id "$from") activated" ] ||
  fail "token $moved_serial is not activated for $from in the emulator"

step "terraform plan -detailed-exitcode is empty again"
rc=0
tf replan plan -detailed-exitcode -input=false -compact-warnings || rc=$?
[ "$rc" -eq 0 ] || { dump replan; fail "expected exit code 0 (no changes) from terraform plan, got $rc"; }
show replan '^No changes'
echo "    exit code $rc: nothing to do"

step "terraform destroy: tokens unassigned and deleted, policy back to its defaults"
tf destroy destroy -auto-approve -input=false -compact-warnings || { dump destroy; fail "terraform destroy failed"; }
show destroy '^Destroy complete'
[ "$(control GET devices | jq length)" -eq 0 ] || fail "the emulator's inventory is not empty after destroy"
echo "    the emulator's inventory is empty"

step "Done in ${SECONDS}s; the emulator is stopped and .demo/ removed"

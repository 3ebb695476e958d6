#!/usr/bin/env bash
# Installs the local AWS-compatible servers that `make dev` and the integration
# tests start (see shared/localaws):
#
#   .local/tools/dynamodb/   DynamoDB Local 1.25.1 (DynamoDBLocal.jar + DynamoDBLocal_lib),
#                            taken from the npm package amplify-dynamodb-simulator, because
#                            AWS's own download site is not reachable from our machines.
#   .local/tools/goaws       SQS-compatible server, built from the tool dependency pinned in go.mod.
#   node_modules/            aws-ses-v2-local (SES v2), cognito-local (the console's sign-in),
#                            aws-cdk and @segment/analytics-node (the browser tests' Segment
#                            client), pinned in package.json / package-lock.json.
#   console/node_modules/    the console's packages (console/package.json and its lockfile).
#   local/runner/testdata/clients/node_modules/
#                            the third-party tracking libraries the client-compatibility tests
#                            drive unmodified (analytics.js 2.0, RudderStack's browser and Node
#                            SDKs), pinned in that folder's package.json / package-lock.json.
#   chromium                 Debian's package, for the browser tests (installed with apt when
#                            missing and running as root; otherwise they fail and say so).
#
# Idempotent and fast when everything is in place: each part writes a stamp under
# .local/tools/stamps/ holding the pinned inputs it was built from, and is redone only
# when the stamp is missing or differs (a version bump, an edited lockfile).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="$ROOT/.local/tools"
STAMPS="$TOOLS/stamps"

# DynamoDB Local ships inside this exact npm package; the integrity is the registry's
# sha512 for the tarball, checked again here so a changed upstream artifact cannot
# slip in silently under the same version.
DDB_PKG="amplify-dynamodb-simulator@2.9.30"
DDB_INTEGRITY="sha512-xTeeRLvzEfqyd5lh3bH4c0kHvSHHmmhD5ZDsHFKAQ5g2Zl6JqlFdutaQhCLHzxEp6Ry1o7TB6niIoXuQAnSewQ=="
GOAWS_PKG="github.com/Admiral-Piett/goaws/app/cmd"

log() { printf 'install-local-tools: %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# Prints a digest of the named files (sha256sum on Linux, shasum on macOS).
hash_files() {
	if command -v sha256sum >/dev/null 2>&1; then
		cat "$@" | sha256sum | cut -d' ' -f1
	else
		cat "$@" | shasum -a 256 | cut -d' ' -f1
	fi
}

stamp_ok() { [[ -f "$STAMPS/$1" && "$(cat "$STAMPS/$1")" == "$2" ]]; }
write_stamp() { printf '%s' "$2" >"$STAMPS/$1"; }

mkdir -p "$STAMPS"

# Two runs at once (parallel make targets, two terminals) would unpack over each other.
if command -v flock >/dev/null 2>&1; then
	exec 9>"$TOOLS/.lock"
	flock 9
fi

TMP="$(mktemp -d "$TOOLS/.tmp.XXXXXX")"
trap 'rm -rf "$TMP"' EXIT

need_root_apt() {
	[[ "$(id -u)" == "0" ]] && command -v apt-get >/dev/null 2>&1
}

# apt_install [OPTION...] PKG...: installs Debian packages, refreshing the package lists
# first, once per run (a fresh machine has none). Callers check before calling, so a
# machine that has everything never waits for apt.
APT_UPDATED=""
apt_install() {
	if [[ -z "$APT_UPDATED" ]]; then
		apt-get update
		APT_UPDATED=1
	fi
	DEBIAN_FRONTEND=noninteractive apt-get install -y "$@"
}

# --- Java (DynamoDB Local runs on the JVM) ---------------------------------------
ensure_java() {
	if command -v java >/dev/null 2>&1; then
		return
	fi
	if need_root_apt; then
		log "java not found; installing openjdk-17-jre-headless with apt-get"
		apt_install openjdk-17-jre-headless
		command -v java >/dev/null 2>&1 || die "java still not on PATH after installing openjdk-17-jre-headless"
		return
	fi
	die "java not found on PATH; install a Java 17 runtime (Debian: sudo apt-get install openjdk-17-jre-headless)"
}

# --- Chromium (browser tests of the snippet) -----------------------------------------
# Debian's build: test tools' own browser downloads cannot be fetched here. The tests drive
# it over the DevTools protocol (chromedp), so chromium-driver is not needed.
ensure_chromium() {
	if [[ -n "${LEADFLOW_CHROMIUM:-}" ]] || command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 ||
		command -v google-chrome >/dev/null 2>&1; then
		return
	fi
	if need_root_apt; then
		log "chromium not found; installing Debian's chromium with apt-get (browser tests)"
		apt_install --no-install-recommends chromium
		command -v chromium >/dev/null 2>&1 || die "chromium still not on PATH after apt-get install chromium"
		return
	fi
	# Not fatal: make dev does not need it. The browser tests fail and point here.
	log "WARNING: no chromium on PATH; the browser tests will fail. Install Chromium or Chrome, or set LEADFLOW_CHROMIUM"
}

# --- DynamoDB Local ----------------------------------------------------------------
install_dynamodb() {
	local key="$DDB_PKG $DDB_INTEGRITY"
	if stamp_ok dynamodb "$key" && [[ -f "$TOOLS/dynamodb/DynamoDBLocal.jar" && -d "$TOOLS/dynamodb/DynamoDBLocal_lib" ]]; then
		return
	fi
	log "fetching DynamoDB Local from npm package $DDB_PKG"
	local tgz
	tgz="$(cd "$TMP" && npm pack "$DDB_PKG" --silent | tail -n1)"
	[[ -n "$tgz" && -f "$TMP/$tgz" ]] || die "npm pack $DDB_PKG produced no tarball"
	local got
	got="$(node -e 'const c=require("crypto"),f=require("fs");process.stdout.write("sha512-"+c.createHash("sha512").update(f.readFileSync(process.argv[1])).digest("base64"))' "$TMP/$tgz")"
	[[ "$got" == "$DDB_INTEGRITY" ]] || die "$tgz integrity mismatch: got $got, want $DDB_INTEGRITY"

	# Only the emulator folder is needed; the package's Node wrapper and its
	# dependencies are not.
	tar -xzf "$TMP/$tgz" -C "$TMP" package/emulator
	[[ -f "$TMP/package/emulator/DynamoDBLocal.jar" ]] || die "$tgz has no package/emulator/DynamoDBLocal.jar"
	rm -rf "$TOOLS/dynamodb"
	mv "$TMP/package/emulator" "$TOOLS/dynamodb"
	write_stamp dynamodb "$key"
	log "DynamoDB Local installed in .local/tools/dynamodb"
}

# --- goaws (SQS) ---------------------------------------------------------------------
install_goaws() {
	command -v go >/dev/null 2>&1 || die "go not found on PATH"
	# The stamp follows the goaws line of go.mod and its go.sum hashes, so bumping the
	# pinned version rebuilds the binary.
	local key
	key="$(grep -h 'Admiral-Piett/goaws ' "$ROOT/go.mod" "$ROOT/go.sum" | hash_files /dev/stdin)"
	if stamp_ok goaws "$key" && [[ -x "$TOOLS/goaws" ]]; then
		return
	fi
	log "building goaws from the tool dependency pinned in go.mod"
	(cd "$ROOT" && go build -o "$TMP/goaws" "$GOAWS_PKG") || die "go build $GOAWS_PKG failed"
	mv -f "$TMP/goaws" "$TOOLS/goaws"
	write_stamp goaws "$key"
	log "goaws installed as .local/tools/goaws"
}

# --- npm packages (aws-ses-v2-local, aws-cdk) ----------------------------------------
install_node_modules() {
	command -v node >/dev/null 2>&1 || die "node not found on PATH (Node 20 is expected)"
	command -v npm >/dev/null 2>&1 || die "npm not found on PATH"
	local key=""
	if [[ -f "$ROOT/package-lock.json" ]]; then
		key="$(hash_files "$ROOT/package.json" "$ROOT/package-lock.json")"
		if stamp_ok npm "$key" && [[ -x "$ROOT/node_modules/.bin/aws-ses-v2-local" && -f "$ROOT/node_modules/cognito-local/lib/bin/start.js" ]]; then
			return
		fi
		log "npm ci (node_modules missing or older than package-lock.json)"
		(cd "$ROOT" && npm ci --no-audit --no-fund) || die "npm ci failed; if package.json changed, run 'npm install' and commit package-lock.json"
	else
		log "npm install (no package-lock.json yet: it is created now and must be committed)"
		(cd "$ROOT" && npm install --no-audit --no-fund) || die "npm install failed"
		key="$(hash_files "$ROOT/package.json" "$ROOT/package-lock.json")"
	fi
	[[ -x "$ROOT/node_modules/.bin/aws-ses-v2-local" ]] || die "node_modules/.bin/aws-ses-v2-local missing after npm install"
	write_stamp npm "$key"
}

# --- the console (console/: its own package.json and lockfile) ----------------------
install_console() {
	local dir="$ROOT/console"
	[[ -f "$dir/package-lock.json" ]] || return 0
	local key
	key="$(hash_files "$dir/package.json" "$dir/package-lock.json")"
	if stamp_ok console "$key" && [[ -x "$dir/node_modules/.bin/vite" ]]; then
		return
	fi
	log "npm ci in console/ (the console's packages)"
	(cd "$dir" && npm ci --no-audit --no-fund) || die "npm ci in console/ failed"
	# Keep Go tooling (go vet ./...) out of the console's packages too.
	printf 'module ignore_node_modules\n' >"$dir/node_modules/go.mod"
	write_stamp console "$key"
}

# --- client libraries under test (local/runner/testdata/clients) ---------------------
# Kept out of the root package.json: they are what the tests exercise, not tooling, and
# their versions move with the issue that names them.
install_client_libs() {
	local dir="$ROOT/local/runner/testdata/clients"
	[[ -f "$dir/package-lock.json" ]] || die "$dir/package-lock.json missing"
	local key
	key="$(hash_files "$dir/package.json" "$dir/package-lock.json")"
	if stamp_ok clients "$key" && [[ -f "$dir/node_modules/@segment/analytics-next/package.json" ]]; then
		return
	fi
	log "npm ci in local/runner/testdata/clients (client libraries under test)"
	(cd "$dir" && npm ci --no-audit --no-fund) || die "npm ci in $dir failed"
	write_stamp clients "$key"
}

ensure_java
ensure_chromium
install_node_modules # first: the DynamoDB step uses node to check the tarball
install_console
install_client_libs
install_dynamodb
install_goaws
# aws-cdk ships Go init templates; a module marker keeps node_modules out of
# `go vet ./...` and `go test ./...`, as a nested module always is.
[[ -f "$ROOT/node_modules/go.mod" ]] || printf 'module ignore_node_modules\n' >"$ROOT/node_modules/go.mod"
log "local AWS tools ready"

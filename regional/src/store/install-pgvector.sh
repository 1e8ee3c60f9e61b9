#!/usr/bin/env bash
# Installs pgvector into the local PostgreSQL server when it is missing (CI, fresh machines); a
# no-op when the extension is already there. Debian bookworm ships no postgresql-NN-pgvector, so
# when apt has none this builds the extension from Debian's own pgvector source package (from the
# next release's archive, on the mirror this machine's apt already uses) against the server's
# headers. Non-interactive and quiet; prints only on failure.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

major="$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1)"
if [ -z "$major" ]; then echo "install-pgvector: no PostgreSQL server under /etc/postgresql" >&2; exit 1; fi
[ -f "/usr/share/postgresql/$major/extension/vector.control" ] && exit 0

log="$(mktemp)"
work="$(mktemp -d)"
trap 'rm -rf "$work" "$log"' EXIT
run() { "$@" >>"$log" 2>&1 || { echo "install-pgvector: failed: $*" >&2; tail -n 30 "$log" >&2; exit 1; }; }

run apt-get -q update
if apt-get -q install -y "postgresql-$major-pgvector" >>"$log" 2>&1; then exit 0; fi

# The Debian mirror apt is configured with (deb822 .sources or one-line .list files).
mirror="$(grep -rhoE '^URIs:[[:space:]]*[^[:space:]]+/debian/?$' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n 1 | awk '{print $2}')"
[ -n "$mirror" ] || mirror="$(grep -rhoE '^deb[[:space:]]+(\[[^]]*\][[:space:]]+)?[^[:space:]]+/debian/?[[:space:]]' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | head -n 1 | awk '{print $NF}')"
if [ -z "$mirror" ]; then echo "install-pgvector: no Debian mirror found in the apt sources" >&2; exit 1; fi

run apt-get -q install -y "postgresql-server-dev-$major" make gcc
mkdir -p "$work/lists/partial"
echo "deb-src ${mirror%/} trixie main" >"$work/src.list"
opts=(-o "Dir::Etc::SourceList=$work/src.list" -o Dir::Etc::SourceParts=/dev/null -o "Dir::State::Lists=$work/lists")
run apt-get -q "${opts[@]}" update
(cd "$work" && run apt-get -q "${opts[@]}" source --download-only pgvector)
run tar -xzf "$(ls "$work"/pgvector_*.orig.tar.gz | head -n 1)" -C "$work"
src="$(ls -d "$work"/pgvector-*/ | head -n 1)"
# OPTFLAGS="": no -march=native (the build must run on any x86-64); with_llvm=no: no JIT bitcode, no clang needed.
run make -C "$src" PG_CONFIG="/usr/lib/postgresql/$major/bin/pg_config" OPTFLAGS="" with_llvm=no
run make -C "$src" PG_CONFIG="/usr/lib/postgresql/$major/bin/pg_config" OPTFLAGS="" with_llvm=no install
[ -f "/usr/share/postgresql/$major/extension/vector.control" ] || { echo "install-pgvector: built, but vector.control is missing" >&2; exit 1; }

#!/usr/bin/env bash
# The real services the tests start, from Debian's packages, installed when missing (a fresh machine, CI):
# chromium renders the run report; redis-server keeps a shared rate budget; nginx plays a gateway (and, in
# the benchmarks, a server that costs nothing). Arguments: more packages.
set -euo pipefail
missing=()
for extra in "$@"; do
    command -v "$extra" >/dev/null || [ -x "/usr/sbin/$extra" ] || missing+=("$extra")
done
command -v chromium >/dev/null || missing+=(chromium)
command -v redis-server >/dev/null || missing+=(redis-server)
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing+=(nginx)
if ((${#missing[@]})); then
    sudo=""
    [ "$(id -u)" = 0 ] || sudo=sudo
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

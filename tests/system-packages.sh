#!/usr/bin/env bash
# The real services the tests start, from Debian's packages, installed when missing (a fresh machine, CI):
# chromium renders the run report; redis-server keeps a shared rate budget. Arguments: more packages
# (the benchmarks ask for nginx).
set -euo pipefail
missing=()
for extra in "$@"; do
    command -v "$extra" >/dev/null || [ -x "/usr/sbin/$extra" ] || missing+=("$extra")
done
command -v chromium >/dev/null || missing+=(chromium)
command -v redis-server >/dev/null || missing+=(redis-server)
if ((${#missing[@]})); then
    sudo=""
    [ "$(id -u)" = 0 ] || sudo=sudo
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
